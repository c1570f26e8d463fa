namespace Runtara.Protocol.Contracts;

/// <summary>
/// The one mapping between an instance status and the name the core, the environment and the SDK's embedded
/// store keep in their databases (lower case, SPEC §10). Existing databases hold these strings: never change them.
/// </summary>
/// <remarks>
/// The management-protocol-keyed <see cref="Management.InstanceStatusNames"/> (used by the core and the
/// environment) goes through this table.
/// </remarks>
public static class InstanceStatusNames
{
    /// <summary>The stored name of <paramref name="status"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="InstanceStatus.Unknown"/> or an undefined value: never stored.</exception>
    public static string ToStorageName(this InstanceStatus status) => status switch
    {
        InstanceStatus.Pending => "pending",
        InstanceStatus.Running => "running",
        InstanceStatus.Suspended => "suspended",
        InstanceStatus.Completed => "completed",
        InstanceStatus.Failed => "failed",
        InstanceStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "This status is never stored."),
    };

    /// <summary>Parses a stored name; the legacy <c>sleeping</c> reads as suspended (SPEC §6.4.12).</summary>
    /// <exception cref="FormatException">The name is not one this mapping writes.</exception>
    public static InstanceStatus ParseStorageName(string value) =>
        TryParseStorageName(value, out var status) ? status : throw new FormatException($"Unknown stored instance status '{value}'.");

    /// <summary>Parses a stored name as <see cref="ParseStorageName"/> does; false (and <see cref="InstanceStatus.Unknown"/>) for any other name.</summary>
    public static bool TryParseStorageName(string? value, out InstanceStatus status)
    {
        status = value switch
        {
            "pending" => InstanceStatus.Pending,
            "running" => InstanceStatus.Running,
            "suspended" or "sleeping" => InstanceStatus.Suspended,
            "completed" => InstanceStatus.Completed,
            "failed" => InstanceStatus.Failed,
            "cancelled" => InstanceStatus.Cancelled,
            _ => InstanceStatus.Unknown,
        };
        return status != InstanceStatus.Unknown;
    }
}

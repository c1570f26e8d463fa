namespace Runtara.Protocol.Management;

/// <summary>
/// The one mapping between an instance status and the name the core and the environment store in
/// their databases (lower case, SPEC §10). Keyed on the management protocol's enum because that is
/// the status contract between the two services. Existing databases hold these strings: never change them.
/// </summary>
public static class InstanceStatusNames
{
    /// <summary>The stored name; <c>STATUS_UNKNOWN</c> and undefined values are never stored.</summary>
    public static string ToStorageName(this InstanceStatus status) => status switch
    {
        InstanceStatus.StatusPending => "pending",
        InstanceStatus.StatusRunning => "running",
        InstanceStatus.StatusSuspended => "suspended",
        InstanceStatus.StatusCompleted => "completed",
        InstanceStatus.StatusFailed => "failed",
        InstanceStatus.StatusCancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "This status is never stored."),
    };

    /// <summary>Parses a stored name; the legacy <c>sleeping</c> reads as suspended (SPEC §6.4.12).</summary>
    /// <exception cref="FormatException">The name is not one this mapping writes.</exception>
    public static InstanceStatus ParseStorageName(string value) =>
        TryParseStorageName(value, out var status) ? status : throw new FormatException($"Unknown stored instance status '{value}'.");

    /// <summary>Parses a stored name as <see cref="ParseStorageName"/> does; false (and <c>STATUS_UNKNOWN</c>) for any other name.</summary>
    public static bool TryParseStorageName(string? value, out InstanceStatus status)
    {
        status = value switch
        {
            "pending" => InstanceStatus.StatusPending,
            "running" => InstanceStatus.StatusRunning,
            "suspended" or "sleeping" => InstanceStatus.StatusSuspended,
            "completed" => InstanceStatus.StatusCompleted,
            "failed" => InstanceStatus.StatusFailed,
            "cancelled" => InstanceStatus.StatusCancelled,
            _ => InstanceStatus.StatusUnknown,
        };
        return status != InstanceStatus.StatusUnknown;
    }
}

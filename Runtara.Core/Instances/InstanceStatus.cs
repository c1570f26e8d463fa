namespace Runtara.Core.Instances;

/// <summary>Instance status as stored (lower-case names, SPEC conventions).</summary>
public enum InstanceStatus
{
    Pending,
    Running,
    Suspended,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>Storage names and terminal checks of <see cref="InstanceStatus"/>.</summary>
public static class InstanceStatusExtensions
{
    public static string ToStorageName(this InstanceStatus status) => status switch
    {
        InstanceStatus.Pending => "pending",
        InstanceStatus.Running => "running",
        InstanceStatus.Suspended => "suspended",
        InstanceStatus.Completed => "completed",
        InstanceStatus.Failed => "failed",
        InstanceStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>Parses a stored status; the legacy <c>sleeping</c> reads as suspended (SPEC §6.4.12).</summary>
    public static InstanceStatus ParseStorageName(string value) => value switch
    {
        "pending" => InstanceStatus.Pending,
        "running" => InstanceStatus.Running,
        "suspended" or "sleeping" => InstanceStatus.Suspended,
        "completed" => InstanceStatus.Completed,
        "failed" => InstanceStatus.Failed,
        "cancelled" => InstanceStatus.Cancelled,
        _ => throw new FormatException($"Unknown stored instance status '{value}'."),
    };

    public static bool IsTerminal(this InstanceStatus status) =>
        status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;
}

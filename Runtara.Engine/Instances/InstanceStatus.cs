using Runtara.Protocol.Management;
using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Engine.Instances;

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

/// <summary>Storage names (the shared mapping in Runtara.Protocol) and terminal checks of <see cref="InstanceStatus"/>.</summary>
public static class InstanceStatusExtensions
{
    public static string ToStorageName(this InstanceStatus status) => status.ToManagementProto().ToStorageName();

    /// <summary>Parses a stored status; the legacy <c>sleeping</c> reads as suspended (SPEC §6.4.12).</summary>
    public static InstanceStatus ParseStorageName(string value) =>
        FromProto(InstanceStatusNames.ParseStorageName(value)) ?? throw new FormatException($"Unknown stored instance status '{value}'.");

    /// <summary>The instance protocol's enum for <paramref name="status"/>.</summary>
    public static Inst.InstanceStatus ToInstanceProtoStatus(this InstanceStatus status) => status switch
    {
        InstanceStatus.Pending => Inst.InstanceStatus.StatusPending,
        InstanceStatus.Running => Inst.InstanceStatus.StatusRunning,
        InstanceStatus.Suspended => Inst.InstanceStatus.StatusSuspended,
        InstanceStatus.Completed => Inst.InstanceStatus.StatusCompleted,
        InstanceStatus.Failed => Inst.InstanceStatus.StatusFailed,
        InstanceStatus.Cancelled => Inst.InstanceStatus.StatusCancelled,
        _ => Inst.InstanceStatus.StatusUnknown,
    };

    public static Mgmt.InstanceStatus ToManagementProto(this InstanceStatus status) => (Mgmt.InstanceStatus)(int)status.ToInstanceProtoStatus();

    /// <summary>A wire status as a core status; UNKNOWN and undefined values are null.</summary>
    public static InstanceStatus? FromProto(Mgmt.InstanceStatus status) => status switch
    {
        Mgmt.InstanceStatus.StatusPending => InstanceStatus.Pending,
        Mgmt.InstanceStatus.StatusRunning => InstanceStatus.Running,
        Mgmt.InstanceStatus.StatusSuspended => InstanceStatus.Suspended,
        Mgmt.InstanceStatus.StatusCompleted => InstanceStatus.Completed,
        Mgmt.InstanceStatus.StatusFailed => InstanceStatus.Failed,
        Mgmt.InstanceStatus.StatusCancelled => InstanceStatus.Cancelled,
        _ => null,
    };

    public static bool IsTerminal(this InstanceStatus status) =>
        status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;
}

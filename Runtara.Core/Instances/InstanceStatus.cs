using Runtara.Core.Rpc;
using Runtara.Protocol.Management;

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

/// <summary>Storage names (the shared mapping in Runtara.Protocol) and terminal checks of <see cref="InstanceStatus"/>.</summary>
public static class InstanceStatusExtensions
{
    public static string ToStorageName(this InstanceStatus status) => status.ToManagementProto().ToStorageName();

    /// <summary>Parses a stored status; the legacy <c>sleeping</c> reads as suspended (SPEC §6.4.12).</summary>
    public static InstanceStatus ParseStorageName(string value) =>
        ProtoMapping.FromProto(InstanceStatusNames.ParseStorageName(value)) ?? throw new FormatException($"Unknown stored instance status '{value}'.");

    public static bool IsTerminal(this InstanceStatus status) =>
        status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;
}

using Microsoft.Extensions.Logging;

namespace Runtara.Environment.Runner.Oci;

/// <summary>Source-generated logs of the OCI runner (event ids 5250–5269).</summary>
internal static partial class OciLog
{
    [LoggerMessage(5250, LogLevel.Information, "OCI runner: using {Runtime} ({Version}), state in {StateRoot}", EventName = "OciRuntimeSelected")]
    public static partial void RuntimeSelected(ILogger logger, string runtime, string version, string stateRoot);

    [LoggerMessage(5251, LogLevel.Information, "OCI runner: skipped {Runtime}: {Reason}", EventName = "OciRuntimeSkipped")]
    public static partial void RuntimeSkipped(ILogger logger, string runtime, string reason);

    [LoggerMessage(5252, LogLevel.Error, "OCI runner: no OCI runtime can run containers here, instances to run under OCI will fail to launch: {Problem}", EventName = "OciNoRuntime")]
    public static partial void NoRuntime(ILogger logger, string problem);

    [LoggerMessage(5253, LogLevel.Warning, "OCI runner: container {ContainerId} could not be deleted; runc delete --force {ContainerId} removes it", EventName = "OciDeleteFailed")]
    public static partial void DeleteFailed(ILogger logger, string containerId);

    [LoggerMessage(5254, LogLevel.Information, "OCI runner: removed stale container {ContainerId} of instance {InstanceId}", EventName = "OciStaleContainerRemoved")]
    public static partial void StaleContainerRemoved(ILogger logger, string containerId, string instanceId);

    [LoggerMessage(5255, LogLevel.Warning, "OCI runner: container {ContainerId} of instance {InstanceId} was killed: out of memory (limit {LimitMb} MiB)", EventName = "OciOutOfMemory")]
    public static partial void OutOfMemory(ILogger logger, string containerId, string instanceId, long limitMb);

    [LoggerMessage(5256, LogLevel.Warning, "OCI runner: could not create a warm container for {ImageRoot}; launches of it take the cold path until the next try: {Reason}", EventName = "OciWarmCreateFailed")]
    public static partial void WarmCreateFailed(ILogger logger, string imageRoot, string reason);

    [LoggerMessage(5257, LogLevel.Debug, "OCI runner: instance {InstanceId} handed warm container {ContainerId}", EventName = "OciWarmHandedOver")]
    public static partial void WarmHandedOver(ILogger logger, string instanceId, string containerId);

    [LoggerMessage(5258, LogLevel.Information, "OCI runner: removed {Count} warm container(s) ({Reason})", EventName = "OciWarmRemoved")]
    public static partial void WarmRemoved(ILogger logger, int count, string reason);
}

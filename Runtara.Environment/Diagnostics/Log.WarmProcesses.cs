using Microsoft.Extensions.Logging;

namespace Runtara.Environment;

/// <summary>Warm processes' log messages (event ids 5270–5279; Runner/Warm/WarmProcesses.cs).</summary>
internal static partial class Log
{
    [LoggerMessage(5270, LogLevel.Debug, "Warm process {SlotId} (pid {Pid}) started for {ImageRoot}", EventName = "WarmProcessCreated")]
    public static partial void WarmProcessCreated(ILogger logger, string slotId, int pid, string imageRoot);

    [LoggerMessage(5271, LogLevel.Warning, "Could not start a warm process for {ImageRoot}; launches of it take the cold path until the next try: {Reason}", EventName = "WarmProcessCreateFailed")]
    public static partial void WarmProcessCreateFailed(ILogger logger, string imageRoot, string reason);

    [LoggerMessage(5272, LogLevel.Debug, "Instance {InstanceId} handed warm process {SlotId} (pid {Pid})", EventName = "WarmProcessHandedOver")]
    public static partial void WarmProcessHandedOver(ILogger logger, string instanceId, string slotId, int pid);

    [LoggerMessage(5273, LogLevel.Information, "Warm process {SlotId} (pid {Pid}) discarded for instance {InstanceId}: {Reason}", EventName = "WarmProcessDiscarded")]
    public static partial void WarmProcessDiscarded(ILogger logger, string slotId, int pid, string instanceId, string reason);

    [LoggerMessage(5274, LogLevel.Information, "Removed {Count} warm process(es) ({Reason})", EventName = "WarmProcessesRemoved")]
    public static partial void WarmProcessesRemoved(ILogger logger, int count, string reason);
}

using Microsoft.Extensions.Logging;

namespace Runtara.Engine.Diagnostics;

/// <summary>Source-generated log messages of the engine: storage (event ids 2100–2199) and instance rules (2200–2399), ids unchanged from when they lived in the core. 2100 (MigrationApplied) and 2190–2199 are Runtara.Data's migration runner, logging through the store's logger.</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Runtara core storage: {Backend} ({Location})", EventName = "StorageSelected")]
    public static partial void StorageSelected(ILogger logger, string backend, string location);

    [LoggerMessage(2111, LogLevel.Warning, "Listening for other cores' wake-ups (PostgreSQL LISTEN) failed; trying again in {Backoff}", EventName = "WakeupListenerFailed")]
    public static partial void WakeupListenerFailed(ILogger logger, TimeSpan backoff, Exception exception);

    [LoggerMessage(2101, LogLevel.Warning, "Write batch of {Count} operations failed; re-running them one by one", EventName = "BatchFailed")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(2102, LogLevel.Error, "Storage operation {Operation} failed", EventName = "OperationFailed")]
    public static partial void OperationFailed(ILogger logger, string operation, Exception exception);

    [LoggerMessage(2103, LogLevel.Information, "Storage operation {Operation} ran into another transaction (attempt {Attempt}: {Reason}); running it again", EventName = "TransientRetry")]
    public static partial void TransientRetry(ILogger logger, string operation, int attempt, string reason);

    [LoggerMessage(2104, LogLevel.Warning, "Background WAL checkpoint failed; the writer's own checkpoint still bounds the WAL", EventName = "WalCheckpointFailed")]
    public static partial void WalCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(2105, LogLevel.Debug, "SQLite WAL extended by {Bytes} bytes of zeros to its working size", EventName = "WalPreallocated")]
    public static partial void WalPreallocated(ILogger logger, long bytes);

    [LoggerMessage(2112, LogLevel.Debug, "Native heaps keep up to {Bytes} freed bytes at their top (glibc M_TRIM_THRESHOLD) for the SQLite writer", EventName = "NativeHeapTrimThresholdRaised")]
    public static partial void NativeHeapTrimThresholdRaised(ILogger logger, int bytes);

    [LoggerMessage(2106, LogLevel.Warning, "Could not give the SQLite WAL its working size; commits that grow it take longer", EventName = "WalPreallocationFailed")]
    public static partial void WalPreallocationFailed(ILogger logger, Exception exception);

    [LoggerMessage(2107, LogLevel.Debug, "SQLite WAL not extended to its full working size: {FreeBytes} bytes were free, and {ReserveBytes} stay free for the database to grow", EventName = "WalPreallocationSkipped")]
    public static partial void WalPreallocationSkipped(ILogger logger, long freeBytes, long reserveBytes);

    [LoggerMessage(2108, LogLevel.Error, "Storage is full: writes fail with RESOURCE_EXHAUSTED until disk space is freed (operation {Operation})", EventName = "StorageFull")]
    public static partial void StorageFull(ILogger logger, string operation, Exception exception);

    [LoggerMessage(2109, LogLevel.Information, "Storage writes succeed again after {Seconds:0.#} s out of disk space", EventName = "StorageSpaceRecovered")]
    public static partial void StorageSpaceRecovered(ILogger logger, double seconds);

    [LoggerMessage(2110, LogLevel.Warning, "Background WAL checkpoint ran out of disk space; it waits for {WalBytes} bytes to be free before it tries again, so commits get freed space first", EventName = "WalCheckpointOutOfSpace")]
    public static partial void WalCheckpointOutOfSpace(ILogger logger, long walBytes);

    [LoggerMessage(2200, LogLevel.Information, "Instance {InstanceId} registered (tenant {TenantId}, status {Previous} -> running)", EventName = "InstanceRegistered")]
    public static partial void InstanceRegistered(ILogger logger, string instanceId, string tenantId, string previous);

    [LoggerMessage(2201, LogLevel.Information, "Instance {InstanceId} status {Previous} -> {Status}", EventName = "InstanceStatusChanged")]
    public static partial void InstanceStatusChanged(ILogger logger, string instanceId, string previous, string status);

    [LoggerMessage(2202, LogLevel.Information, "Instance {InstanceId} suspended by a durable sleep until {WakeAtMs}", EventName = "InstanceSleeping")]
    public static partial void InstanceSleeping(ILogger logger, string instanceId, long wakeAtMs);

    [LoggerMessage(2208, LogLevel.Information, "Instance {InstanceId} suspended on wait {CheckpointId} ({Signals} signal(s), {Children} child(ren), deadline {DeadlineMs})", EventName = "InstanceWaiting")]
    public static partial void InstanceWaiting(ILogger logger, string instanceId, string checkpointId, int signals, int children, long deadlineMs);

    [LoggerMessage(2209, LogLevel.Information, "Instance {InstanceId} started child {ChildId} of image {Image}", EventName = "ChildRecorded")]
    public static partial void ChildRecorded(ILogger logger, string instanceId, string childId, string image);

    [LoggerMessage(2204, LogLevel.Information, "Signal acknowledgement from {InstanceId} for {SignalType} ignored: no such pending signal", EventName = "SignalAckIgnored")]
    public static partial void SignalAckIgnored(ILogger logger, string instanceId, string signalType);

    [LoggerMessage(2205, LogLevel.Debug, "Signal {SignalType} from {InstanceId} not acknowledged (acknowledged=false)", EventName = "SignalNotAcknowledged")]
    public static partial void SignalNotAcknowledged(ILogger logger, string instanceId, string signalType);

    [LoggerMessage(2300, LogLevel.Information, "Signal {SignalType} stored for instance {InstanceId}", EventName = "SignalSent")]
    public static partial void SignalSent(ILogger logger, string instanceId, string signalType);
}

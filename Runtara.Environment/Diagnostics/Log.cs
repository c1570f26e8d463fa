using Microsoft.Extensions.Logging;

namespace Runtara.Environment;

/// <summary>
/// Source-generated logs of the environment. Event ids: 5000–5099 hosting, 5100–5199 images,
/// 5200–5299 instances and runner, 5300–5399 workers.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Information, "Environment protocol listening on port {Port} ({Transports}); core management at {CoreAddress}, instances use {CoreInstanceAddress}; storage {Storage}", EventName = "EnvironmentStarted")]
    public static partial void EnvironmentStarted(ILogger logger, int port, string transports, string coreAddress, string coreInstanceAddress, string storage);

    [LoggerMessage(5001, LogLevel.Warning, "{Operation} failed: {Code} {Message}", EventName = "RequestRejected")]
    public static partial void RequestRejected(ILogger logger, string operation, string code, string message);

    [LoggerMessage(5100, LogLevel.Information, "Image {ImageId} registered for tenant {TenantId}: {Name} version {Version} ({Format}, {SizeBytes} bytes, sha256 {Sha256})", EventName = "ImageRegistered")]
    public static partial void ImageRegistered(ILogger logger, string imageId, string tenantId, string name, int version, string format, long sizeBytes, string sha256);

    [LoggerMessage(5101, LogLevel.Information, "Image {ImageId} of tenant {TenantId} deleted", EventName = "ImageDeleted")]
    public static partial void ImageDeleted(ILogger logger, string imageId, string tenantId);

    [LoggerMessage(5102, LogLevel.Information, "Version {Version} of image {ImageId} of tenant {TenantId} deleted", EventName = "ImageVersionDeleted")]
    public static partial void ImageVersionDeleted(ILogger logger, string imageId, int version, string tenantId);

    [LoggerMessage(5200, LogLevel.Information, "Instance {InstanceId} launched ({Reason}) as pid {Pid}, checkpoint {CheckpointId}", EventName = "InstanceLaunched")]
    public static partial void InstanceLaunched(ILogger logger, string instanceId, string reason, int pid, string? checkpointId);

    [LoggerMessage(5201, LogLevel.Error, "Instance {InstanceId} could not be launched: {Reason}", EventName = "LaunchFailed")]
    public static partial void LaunchFailed(ILogger logger, string instanceId, string reason);

    [LoggerMessage(5202, LogLevel.Information, "Instance {InstanceId} process exited with code {ExitCode}", EventName = "InstanceExited")]
    public static partial void InstanceExited(ILogger logger, string instanceId, int? exitCode);

    [LoggerMessage(5203, LogLevel.Warning, "Instance {InstanceId} exceeded its timeout of {Timeout}; stopping it", EventName = "InstanceTimedOut")]
    public static partial void InstanceTimedOut(ILogger logger, string instanceId, TimeSpan timeout);

    [LoggerMessage(5204, LogLevel.Warning, "Instance {InstanceId} failed: {Reason}", EventName = "InstanceFailed")]
    public static partial void InstanceFailed(ILogger logger, string instanceId, string reason);

    [LoggerMessage(5205, LogLevel.Warning, "Instance {InstanceId} retried ({Attempt}/{MaxRetries}): {Reason}", EventName = "InstanceRetried")]
    public static partial void InstanceRetried(ILogger logger, string instanceId, int attempt, int maxRetries, string reason);

    [LoggerMessage(5220, LogLevel.Warning, "Instance {InstanceId} relaunched after a core outage (its retries are kept): {Reason}", EventName = "InstanceRelaunchedAfterCoreOutage")]
    public static partial void InstanceRelaunchedAfterCoreOutage(ILogger logger, string instanceId, string reason);

    [LoggerMessage(5206, LogLevel.Information, "Instance {InstanceId} re-adopted after restart (pid {Pid})", EventName = "InstanceAdopted")]
    public static partial void InstanceAdopted(ILogger logger, string instanceId, int pid);

    [LoggerMessage(5207, LogLevel.Information, "Instance {InstanceId} stopped: {Reason}", EventName = "InstanceStopped")]
    public static partial void InstanceStopped(ILogger logger, string instanceId, string reason);

    [LoggerMessage(5230, LogLevel.Information, "Instance {InstanceId} started as a {Origin}, with {Copied} checkpoint(s) to replay", EventName = "InstanceForked")]
    public static partial void InstanceForked(ILogger logger, string instanceId, string origin, int copied);

    [LoggerMessage(5208, LogLevel.Error, "Monitoring instance {InstanceId} failed", EventName = "MonitorFailed")]
    public static partial void MonitorFailed(ILogger logger, string instanceId, Exception exception);

    [LoggerMessage(5209, LogLevel.Warning, "Updating instance {InstanceId} at the core failed: {Message}", EventName = "CoreUpdateFailed")]
    public static partial void CoreUpdateFailed(ILogger logger, string instanceId, string message);

    [LoggerMessage(5300, LogLevel.Error, "{Worker} cycle failed", EventName = "WorkerFailed")]
    public static partial void WorkerFailed(ILogger logger, string worker, Exception exception);

    [LoggerMessage(5301, LogLevel.Information, "Woke instance {InstanceId} (due at {WakeAtMs})", EventName = "InstanceWoken")]
    public static partial void InstanceWoken(ILogger logger, string instanceId, long wakeAtMs);

    [LoggerMessage(5302, LogLevel.Warning, "Instance {InstanceId} has no activity since {LastActivityMs}; ending it", EventName = "InstanceSilent")]
    public static partial void InstanceSilent(ILogger logger, string instanceId, long lastActivityMs);

    [LoggerMessage(5303, LogLevel.Information, "Cleanup removed {Count} run directories older than {Retention}", EventName = "CleanupRemoved")]
    public static partial void CleanupRemoved(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(5304, LogLevel.Information, "Recovery after restart: {Adopted} process(es) re-adopted, {Settled} run(s) settled", EventName = "Recovered")]
    public static partial void Recovered(ILogger logger, int adopted, int settled);

    [LoggerMessage(5306, LogLevel.Warning, "Starting child instance {ChildId} of {ParentId} failed: {Message}", EventName = "ChildStartFailed")]
    public static partial void ChildStartFailed(ILogger logger, string childId, string parentId, string message);

    [LoggerMessage(5307, LogLevel.Information, "Child instance {ChildId} of {ParentId} cannot start: {Reason}", EventName = "ChildStartRefused")]
    public static partial void ChildStartRefused(ILogger logger, string childId, string parentId, string reason);

    [LoggerMessage(5305, LogLevel.Warning, "Wake-up of instance {InstanceId} failed: {Message}", EventName = "WakeFailed")]
    public static partial void WakeFailed(ILogger logger, string instanceId, string message);

    [LoggerMessage(5600, LogLevel.Information, "Token keys: {Count} key(s), signing with '{SigningKeyId}', from {Source}", EventName = "TokenKeysLoaded")]
    public static partial void TokenKeysLoaded(ILogger logger, int count, string signingKeyId, string source);

    [LoggerMessage(5601, LogLevel.Information, "API keys: {Count} accepted, from {Source}", EventName = "ApiKeysLoaded")]
    public static partial void ApiKeysLoaded(ILogger logger, int count, string source);

    [LoggerMessage(5240, LogLevel.Information, "Instances run as users of their own: uids {First}-{Last}, through {Setpriv}", EventName = "InstanceUsersEnabled")]
    public static partial void InstanceUsersEnabled(ILogger logger, int first, long last, string setpriv);

    [LoggerMessage(5241, LogLevel.Warning, "Instances run as the environment's own user and can read its data directory (API keys, token keys, other runs): {Reason}. See docs/security.md", EventName = "InstanceUsersDisabled")]
    public static partial void InstanceUsersDisabled(ILogger logger, string reason);

    [LoggerMessage(5242, LogLevel.Warning, "Killed {Count} leftover process(es) of uid {Uid} after its run ended", EventName = "InstanceLeftoversKilled")]
    public static partial void InstanceLeftoversKilled(ILogger logger, int count, int uid);

    [LoggerMessage(5243, LogLevel.Information, "Process runner: each run gets a cgroup of its own under {Parent} (limits; what is left in it is killed when the run ends)", EventName = "ProcessCgroupsEnabled")]
    public static partial void ProcessCgroupsEnabled(ILogger logger, string parent);

    [LoggerMessage(5244, LogLevel.Warning, "Process runner: runs get no cgroup (no memory, pids or CPU limit; stray children end only with their uid): {Reason}", EventName = "ProcessCgroupsDisabled")]
    public static partial void ProcessCgroupsDisabled(ILogger logger, string reason);

    [LoggerMessage(5245, LogLevel.Warning, "Process runner: instance {InstanceId} was killed: out of memory (limit {LimitMb} MiB)", EventName = "ProcessOutOfMemory")]
    public static partial void ProcessOutOfMemory(ILogger logger, string instanceId, long limitMb);

    [LoggerMessage(5246, LogLevel.Warning, "Process runner: killed {Count} process(es) left in the cgroup of instance {InstanceId}", EventName = "ProcessCgroupLeftoversKilled")]
    public static partial void ProcessCgroupLeftoversKilled(ILogger logger, int count, string instanceId);

    [LoggerMessage(5320, LogLevel.Information, "Schedule {ScheduleId} fired for {FireAtMs}: instance {InstanceId} (new: {Created})", EventName = "ScheduleFired")]
    public static partial void ScheduleFired(ILogger logger, string scheduleId, long fireAtMs, string instanceId, bool created);

    [LoggerMessage(5321, LogLevel.Information, "Schedule {ScheduleId} skipped its fire of {FireAtMs}: instance {InstanceId} still runs", EventName = "ScheduleFireSkipped")]
    public static partial void ScheduleFireSkipped(ILogger logger, string scheduleId, long fireAtMs, string instanceId);

    [LoggerMessage(5322, LogLevel.Warning, "Schedule {ScheduleId} could not start its fire of {FireAtMs} ({Code}): {Message}", EventName = "ScheduleFireFailed")]
    public static partial void ScheduleFireFailed(ILogger logger, string scheduleId, long fireAtMs, string code, string message);

    [LoggerMessage(5323, LogLevel.Warning, "Schedule {ScheduleId}: fires are retried when its claim expires: {Message}", EventName = "ScheduleFireDeferred")]
    public static partial void ScheduleFireDeferred(ILogger logger, string scheduleId, string message);

    [LoggerMessage(5324, LogLevel.Information, "Schedule {ScheduleId} missed fires since {SinceMs}; catch-up policy {CatchUp}", EventName = "ScheduleMissedFires")]
    public static partial void ScheduleMissedFires(ILogger logger, string scheduleId, long sinceMs, string catchUp);

    [LoggerMessage(5325, LogLevel.Information, "Schedule {ScheduleId} changed or its claim expired while it fired; its progress is not written back", EventName = "ScheduleClaimLost")]
    public static partial void ScheduleClaimLost(ILogger logger, string scheduleId);
}

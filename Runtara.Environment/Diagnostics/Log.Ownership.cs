using Microsoft.Extensions.Logging;

namespace Runtara.Environment;

/// <summary>Run ownership, leases and takeover (event ids 5710–5729; docs/environment.md, "Several environments").</summary>
internal static partial class Log
{
    [LoggerMessage(5710, LogLevel.Information, "Environment id {EnvironmentId}: runs it launches are owned by it under a {RunLease} lease", EventName = "EnvironmentIdentity")]
    public static partial void EnvironmentIdentity(ILogger logger, string environmentId, TimeSpan runLease);

    [LoggerMessage(5711, LogLevel.Warning, "Instance {InstanceId} taken over from an environment whose lease expired (core status {CoreStatus}): {Action}", EventName = "RunTakenOver")]
    public static partial void RunTakenOver(ILogger logger, string instanceId, string coreStatus, string action);

    [LoggerMessage(5712, LogLevel.Warning, "Instance {InstanceId} now belongs to environment {OwnerId}: its process here (pid {Pid}) is killed and the run left to its owner", EventName = "RunLost")]
    public static partial void RunLost(ILogger logger, string instanceId, string? ownerId, int? pid);

    [LoggerMessage(5713, LogLevel.Information, "Instance {InstanceId} belongs to environment {OwnerId}: its process here ended and is not settled here", EventName = "ExitOfLostRunIgnored")]
    public static partial void ExitOfLostRunIgnored(ILogger logger, string instanceId, string? ownerId);

    [LoggerMessage(5714, LogLevel.Information, "{Count} run(s) recorded before run ownership now belong to this environment", EventName = "UnownedRunsClaimed")]
    public static partial void UnownedRunsClaimed(ILogger logger, int count);

    [LoggerMessage(5715, LogLevel.Warning, "Takeover of instance {InstanceId} failed: {Message}", EventName = "TakeoverFailed")]
    public static partial void TakeoverFailed(ILogger logger, string instanceId, string message);

    [LoggerMessage(5716, LogLevel.Information, "Image content {Sha256} fetched from the database into the local image cache ({SizeBytes} bytes)", EventName = "ImageContentFetched")]
    public static partial void ImageContentFetched(ILogger logger, string sha256, long sizeBytes);

    [LoggerMessage(5717, LogLevel.Information, "Instance {InstanceId} runs on environment {OwnerId}: cancel sent through the core, its owner's process ends it", EventName = "RemoteStopRequested")]
    public static partial void RemoteStopRequested(ILogger logger, string instanceId, string ownerId);

    [LoggerMessage(5718, LogLevel.Information, "Process of instance {InstanceId} exited ({ExitCode}) because a newer incarnation of the instance registered; the run is left to that one", EventName = "ExitOfSupersededProcess")]
    public static partial void ExitOfSupersededProcess(ILogger logger, string instanceId, int? exitCode);
}

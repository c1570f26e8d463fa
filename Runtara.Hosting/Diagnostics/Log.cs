using Microsoft.Extensions.Logging;

namespace Aspire.Hosting.Diagnostics;

/// <summary>Source-generated log messages of the hosting integration (event ids 6000–6099), written to the AppHost's log.</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Information, "Runtara image {Resource}: building {Project}", EventName = "ImageBuilding")]
    public static partial void ImageBuilding(ILogger logger, string resource, string project);

    [LoggerMessage(6001, LogLevel.Information, "Runtara image {Resource} registered as {ImageId} ({Bytes} bytes, entrypoint {Entrypoint})", EventName = "ImageRegistered")]
    public static partial void ImageRegistered(ILogger logger, string resource, string imageId, long bytes, string entrypoint);

    [LoggerMessage(6002, LogLevel.Error, "Runtara image {Resource} could not be registered", EventName = "ImageFailed")]
    public static partial void ImageFailed(ILogger logger, string resource, Exception exception);

    [LoggerMessage(6003, LogLevel.Information, "Runtara image {Resource}: instance {InstanceId} started", EventName = "InstanceStarted")]
    public static partial void InstanceStarted(ILogger logger, string resource, string instanceId);

    [LoggerMessage(6004, LogLevel.Information, "Runtara image {Resource}: instance {InstanceId} is {Status}", EventName = "InstanceStatus")]
    public static partial void InstanceStatus(ILogger logger, string resource, string instanceId, string status);

    [LoggerMessage(6005, LogLevel.Warning, "Runtara image {Resource}: listing its instances failed (retried; logged again after the next success)", EventName = "InstancesPollFailed")]
    public static partial void InstancesPollFailed(ILogger logger, string resource, Exception exception);

    [LoggerMessage(6006, LogLevel.Information, "Runtara image {Resource}: publishing {Project} native AOT for {RuntimeIdentifier} into {Directory}", EventName = "ImagePublishing")]
    public static partial void ImagePublishing(ILogger logger, string resource, string project, string runtimeIdentifier, string directory);

    [LoggerMessage(6007, LogLevel.Information, "Runtara image {Resource}: published native AOT in {Seconds:F1} s, program {Program}", EventName = "ImagePublished")]
    public static partial void ImagePublished(ILogger logger, string resource, double seconds, string program);

    [LoggerMessage(6008, LogLevel.Information, "Runtara image {Resource}: signal {Signal} sent to instance {InstanceId} ({Bytes} bytes of JSON)", EventName = "SignalSent")]
    public static partial void SignalSent(ILogger logger, string resource, string signal, string instanceId, int bytes);

    [LoggerMessage(6009, LogLevel.Information, "Runtara image {Resource}: schedule {ScheduleId} ({When}) registered, next fire {NextFireAt}", EventName = "ScheduleRegistered")]
    public static partial void ScheduleRegistered(ILogger logger, string resource, string scheduleId, string when, DateTimeOffset? nextFireAt);

    [LoggerMessage(6010, LogLevel.Error, "Runtara image {Resource}: schedule {ScheduleId} could not be registered", EventName = "ScheduleFailed")]
    public static partial void ScheduleFailed(ILogger logger, string resource, string scheduleId, Exception exception);
}

using Microsoft.Extensions.Logging;

namespace Runtara.Core.Diagnostics;

/// <summary>Source-generated log messages of the core server: hosting (event ids 2000–2099), the instance protocol (2203) and security (2600). The engine logs storage and instance rules under its own Log.</summary>
internal static partial class Log
{
    [LoggerMessage(2001, LogLevel.Information, "Runtara core listening: instance protocol on port {InstancePort} and socket {InstanceSocket}, management protocol on port {ManagementPort} ({Transports}); endpoints written to {EndpointsFile}", EventName = "CoreListening")]
    public static partial void CoreListening(ILogger logger, int instancePort, string instanceSocket, int managementPort, string transports, string endpointsFile);

    [LoggerMessage(2002, LogLevel.Information, "Development TLS certificate in use; clients pin {CertificatePath}", EventName = "DevelopmentCertificate")]
    public static partial void DevelopmentCertificate(ILogger logger, string certificatePath);

    [LoggerMessage(2003, LogLevel.Information, "Runtara core stopped", EventName = "CoreStopped")]
    public static partial void CoreStopped(ILogger logger);

    [LoggerMessage(2004, LogLevel.Warning, "Could not write the endpoints file {EndpointsFile}; the core serves on, and its ports are in the next log line", EventName = "EndpointsFileNotWritten")]
    public static partial void EndpointsFileNotWritten(ILogger logger, string endpointsFile, Exception exception);

    [LoggerMessage(2006, LogLevel.Information, "No instance socket: the default path under {DataDirectory} is longer than a Unix socket address allows; set Runtara:Core:InstanceSocketPath to a shorter path to serve one", EventName = "InstanceSocketSkipped")]
    public static partial void InstanceSocketSkipped(ILogger logger, string dataDirectory);

    [LoggerMessage(2005, LogLevel.Information, "Removed {File}, left by a core that no longer runs", EventName = "StaleEndpointsFileRemoved")]
    public static partial void StaleEndpointsFileRemoved(ILogger logger, string file);

    [LoggerMessage(2103, LogLevel.Warning, "Refreshing the instance status gauge failed", EventName = "StatusSnapshotFailed")]
    public static partial void StatusSnapshotFailed(ILogger logger, Exception exception);

    [LoggerMessage(2203, LogLevel.Warning, "Batched event for instance {InstanceId} rejected: {Code} {Message}", EventName = "BatchedEventRejected")]
    public static partial void BatchedEventRejected(ILogger logger, string instanceId, string code, string message);

    [LoggerMessage(2600, LogLevel.Information, "Token keys: {Count} key(s), signing with '{SigningKeyId}', from {Source}", EventName = "TokenKeysLoaded")]
    public static partial void TokenKeysLoaded(ILogger logger, int count, string signingKeyId, string source);
}

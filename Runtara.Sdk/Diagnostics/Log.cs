using Microsoft.Extensions.Logging;

namespace Runtara.Sdk.Diagnostics;

/// <summary>Source-generated log messages of the instance SDK (event ids 4000–4099).</summary>
internal static partial class Log
{
    // 4000–4019: instance lifecycle.
    [LoggerMessage(4000, LogLevel.Information, "Instance {InstanceId} (tenant {TenantId}) registered with {Backend}; replaying: {Replaying}", EventName = "InstanceRegistered")]
    public static partial void InstanceRegistered(ILogger logger, string instanceId, string tenantId, string backend, bool replaying);

    [LoggerMessage(4001, LogLevel.Information, "Instance {InstanceId} completed", EventName = "InstanceCompleted")]
    public static partial void InstanceCompleted(ILogger logger, string instanceId);

    [LoggerMessage(4002, LogLevel.Error, "Instance {InstanceId} failed", EventName = "InstanceFailed")]
    public static partial void InstanceFailed(ILogger logger, string instanceId, Exception exception);

    [LoggerMessage(4003, LogLevel.Information, "Instance {InstanceId} cancelled", EventName = "InstanceCancelled")]
    public static partial void InstanceCancelled(ILogger logger, string instanceId);

    [LoggerMessage(4004, LogLevel.Information, "Instance {InstanceId} paused at checkpoint {CheckpointId}", EventName = "InstancePaused")]
    public static partial void InstancePaused(ILogger logger, string instanceId, string? checkpointId);

    [LoggerMessage(4005, LogLevel.Information, "Instance {InstanceId} sleeps until {WakeAt:O} at {CheckpointId}", EventName = "InstanceSleeping")]
    public static partial void InstanceSleeping(ILogger logger, string instanceId, DateTimeOffset wakeAt, string? checkpointId);

    [LoggerMessage(4011, LogLevel.Information, "Instance {InstanceId} suspended on wait {CheckpointId} (deadline {Deadline:O}); it is relaunched when the wait is due", EventName = "InstanceWaiting")]
    public static partial void InstanceWaiting(ILogger logger, string instanceId, string checkpointId, DateTimeOffset? deadline);

    [LoggerMessage(4012, LogLevel.Information, "Instance {InstanceId} started child {ChildId} of image {Image}", EventName = "ChildStarted")]
    public static partial void ChildStarted(ILogger logger, string instanceId, string childId, string image);

    [LoggerMessage(4006, LogLevel.Error, "Instance {InstanceId}: reporting the outcome {Outcome} failed", EventName = "ReportFailed")]
    public static partial void ReportFailed(ILogger logger, string instanceId, WorkflowStatus outcome, Exception exception);

    [LoggerMessage(4007, LogLevel.Warning, "Instance {InstanceId}: the {Signal} acknowledgement was not confirmed by {Backend} in time", EventName = "AckNotConfirmed")]
    public static partial void AckNotConfirmed(ILogger logger, string instanceId, SignalKind signal, string backend);

    [LoggerMessage(4008, LogLevel.Warning, "Instance {InstanceId}: could not write the output file {Path}", EventName = "OutputWriteFailed")]
    public static partial void OutputWriteFailed(ILogger logger, string instanceId, string path, Exception exception);

    [LoggerMessage(4009, LogLevel.Warning, "Certificate verification of the core is disabled (RUNTARA_SKIP_CERT_VERIFICATION); use a pinned certificate instead", EventName = "CertificateVerificationSkipped")]
    public static partial void CertificateVerificationSkipped(ILogger logger);

    // 4020–4039: steps.
    [LoggerMessage(4020, LogLevel.Debug, "Step {StepKey} replayed from its checkpoint", EventName = "StepReplayed")]
    public static partial void StepReplayed(ILogger logger, string stepKey);

    [LoggerMessage(4021, LogLevel.Warning, "Step {StepKey} attempt {Attempt} failed; retrying in {Delay}", EventName = "StepRetrying")]
    public static partial void StepRetrying(ILogger logger, string stepKey, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(4022, LogLevel.Warning, "Step key {StepKey} was used more than once in this run; later uses return the first result (put loop indices in keys: StepKey.For)", EventName = "DuplicateStepKey")]
    public static partial void DuplicateStepKey(ILogger logger, string stepKey);

    [LoggerMessage(4023, LogLevel.Warning, "The stored result of {Key} could not be read back as the step's type; running the step again", EventName = "StoredResultUnreadable")]
    public static partial void StoredResultUnreadable(ILogger logger, string key, Exception exception);

    [LoggerMessage(4024, LogLevel.Warning, "Recording retry attempt {Attempt} of {Key} failed", EventName = "RetryRecordFailed")]
    public static partial void RetryRecordFailed(ILogger logger, string key, int attempt, Exception exception);

    // 4040–4059: signals, heartbeats, transport.
    [LoggerMessage(4040, LogLevel.Information, "Instance {InstanceId} received {Signal}", EventName = "SignalReceived")]
    public static partial void SignalReceived(ILogger logger, string instanceId, SignalKind signal);

    [LoggerMessage(4041, LogLevel.Warning, "Instance {InstanceId} ignored a signal of an unknown type (not treated as cancel, SPEC §19.20)", EventName = "UnknownSignalIgnored")]
    public static partial void UnknownSignalIgnored(ILogger logger, string instanceId);

    [LoggerMessage(4042, LogLevel.Information, "Instance {InstanceId} received custom signal {SignalName}", EventName = "CustomSignalReceived")]
    public static partial void CustomSignalReceived(ILogger logger, string instanceId, string signalName);

    [LoggerMessage(4043, LogLevel.Warning, "Instance {InstanceId}: heartbeat failed", EventName = "HeartbeatFailed")]
    public static partial void HeartbeatFailed(ILogger logger, string instanceId, Exception exception);

    [LoggerMessage(4044, LogLevel.Warning, "Instance {InstanceId}: signal poll failed", EventName = "SignalPollFailed")]
    public static partial void SignalPollFailed(ILogger logger, string instanceId, Exception exception);

    [LoggerMessage(4045, LogLevel.Debug, "{Method} failed on attempt {Attempt} ({Code}: {Message}); trying again in {Delay}", EventName = "TransientRpcFailure")]
    public static partial void TransientRpcFailure(ILogger logger, string method, int attempt, string code, string message, TimeSpan delay);

    [LoggerMessage(4046, LogLevel.Debug, "Instance token renewed; it now expires at {ExpiresAt}", EventName = "CredentialRenewed")]
    public static partial void CredentialRenewed(ILogger logger, DateTimeOffset expiresAt);

    [LoggerMessage(4047, LogLevel.Warning, "Renewing the instance token failed ({Code}: {Message}); retrying shortly", EventName = "CredentialRenewalFailed")]
    public static partial void CredentialRenewalFailed(ILogger logger, string code, string message);

    [LoggerMessage(4048, LogLevel.Warning, "The core at {Address} is unreachable ({Code}: {Message}); calls keep retrying for up to {Tolerance}", EventName = "CoreUnreachable")]
    public static partial void CoreUnreachable(ILogger logger, string address, string code, string message, TimeSpan tolerance);

    [LoggerMessage(4049, LogLevel.Information, "The core at {Address} answers again after {Outage}", EventName = "CoreReachableAgain")]
    public static partial void CoreReachableAgain(ILogger logger, string address, TimeSpan outage);

    [LoggerMessage(4010, LogLevel.Warning, "Instance {InstanceId} stopped: the core stayed unreachable past the tolerance; the environment relaunches it", EventName = "InstanceCoreUnavailable")]
    public static partial void InstanceCoreUnavailable(ILogger logger, string instanceId, Exception exception);

    [LoggerMessage(4013, LogLevel.Warning, "Instance {InstanceId} stopped: another process registered it since this one did (superseded); this process writes nothing more: {Reason}", EventName = "InstanceSuperseded")]
    public static partial void InstanceSuperseded(ILogger logger, string instanceId, string reason);
}

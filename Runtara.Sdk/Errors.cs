namespace Runtara.Sdk;

/// <summary>Stable codes of the SDK's exceptions (<see cref="RuntaraException.Code"/>).</summary>
public static class SdkErrorCodes
{
    /// <summary>Code of <see cref="RuntaraConfigurationException"/>.</summary>
    public const string Configuration = "CONFIGURATION_ERROR";
    /// <summary>Code of <see cref="InstanceRegistrationException"/>.</summary>
    public const string Registration = "REGISTRATION_FAILED";
    /// <summary>Code of <see cref="StepFailedException"/>.</summary>
    public const string StepFailed = "STEP_FAILED";
    /// <summary>Code of <see cref="CheckpointSerializationException"/>.</summary>
    public const string Serialization = "SERIALIZATION_ERROR";
    /// <summary>Code of <see cref="InvalidStepKeyException"/>.</summary>
    public const string InvalidKey = "INVALID_KEY";
    /// <summary>Code of <see cref="WorkflowInterruptedException"/>.</summary>
    public const string Interrupted = "WORKFLOW_INTERRUPTED";
    /// <summary>Code of <see cref="SignalTimeoutException"/>.</summary>
    public const string SignalTimeout = "SIGNAL_TIMEOUT";
    /// <summary>Code of <see cref="InstanceStateException"/>; the same code the core sends.</summary>
    public const string InvalidInstanceState = "INVALID_INSTANCE_STATE";
    /// <summary>Code of <see cref="InstanceNotFoundException"/>; the same code the core sends.</summary>
    public const string InstanceNotFound = "INSTANCE_NOT_FOUND";
    /// <summary>Code of <see cref="EventRejectedException"/>.</summary>
    public const string EventRejected = "EVENT_REJECTED";
    /// <summary>Code of <see cref="CoreUnavailableException"/>.</summary>
    public const string CoreUnavailable = "CORE_UNAVAILABLE";
    /// <summary>Code of <see cref="InstanceSupersededException"/>; the same code the core sends.</summary>
    public const string StaleIncarnation = "STALE_INCARNATION";
    /// <summary>Code of <see cref="ChildFailedException"/>.</summary>
    public const string ChildFailed = "CHILD_FAILED";
}

/// <summary>A setting is missing or invalid. <see cref="Key"/> names it (an environment variable or option).</summary>
public sealed class RuntaraConfigurationException(string key, string message)
    : RuntaraException(SdkErrorCodes.Configuration, $"{key} {message}")
{
    /// <summary>The environment variable or option at fault (e.g. <c>RUNTARA_INSTANCE_ID</c>).</summary>
    public string Key { get; } = key;
}

/// <summary>The core refused to register the instance (e.g. it already finished, or belongs to another tenant).</summary>
public sealed class InstanceRegistrationException(string instanceId, string reason, Exception? innerException = null)
    : RuntaraException(SdkErrorCodes.Registration, $"Instance '{instanceId}' could not register: {reason}", innerException)
{
    /// <summary>The instance that could not register.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>Why the core refused, as it reported it.</summary>
    public string Reason { get; } = reason;
}

/// <summary>A step failed on its last attempt. The inner exception is the last attempt's error; failures are never cached.</summary>
public sealed class StepFailedException(string stepKey, int attempts, Exception innerException)
    : RuntaraException(SdkErrorCodes.StepFailed, $"Step '{stepKey}' failed after {attempts} attempt(s): {innerException?.Message}", innerException)
{
    /// <summary>The key of the failed step.</summary>
    public string StepKey { get; } = stepKey;

    /// <summary>How many attempts ran, the first included.</summary>
    public int Attempts { get; } = attempts;
}

/// <summary>A stored step result, signal payload or workflow input could not be (de)serialized.</summary>
public sealed class CheckpointSerializationException(string key, string message, Exception? innerException = null)
    : RuntaraException(SdkErrorCodes.Serialization, $"'{key}': {message}", innerException)
{
    /// <summary>The step, signal or input key whose value could not be (de)serialized.</summary>
    public string Key { get; } = key;
}

/// <summary>A step, sleep or signal key is empty or malformed.</summary>
public sealed class InvalidStepKeyException(string key, string message)
    : RuntaraException(SdkErrorCodes.InvalidKey, $"Invalid key '{key}': {message}")
{
    /// <summary>The rejected key as given.</summary>
    public string Key { get; } = key;
}

/// <summary><c>WaitForSignalAsync</c> gave up after its timeout. The signal, if it arrives later, stays waiting at the core.</summary>
public sealed class SignalTimeoutException(string signalName, TimeSpan timeout)
    : RuntaraException(SdkErrorCodes.SignalTimeout, $"Signal '{signalName}' did not arrive within {timeout.TotalMilliseconds:0} ms")
{
    /// <summary>The signal that was awaited.</summary>
    public string SignalName { get; } = signalName;

    /// <summary>How long the wait lasted before giving up.</summary>
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>An operation was refused because of the instance's status (embedded backend; the core answers with an RpcError).</summary>
public sealed class InstanceStateException(string instanceId, string operation, InstanceStatus status)
    : RuntaraException(SdkErrorCodes.InvalidInstanceState, $"Instance '{instanceId}' cannot {operation} while {status.ToString().ToLowerInvariant()}")
{
    /// <summary>The instance whose status refused the operation.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>The instance's status at the time.</summary>
    public InstanceStatus Status { get; } = status;
}

/// <summary>The instance does not exist (embedded backend).</summary>
public sealed class InstanceNotFoundException(string instanceId)
    : RuntaraException(SdkErrorCodes.InstanceNotFound, $"Instance '{instanceId}' not found")
{
    /// <summary>The instance that does not exist.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>The core answered an event with <c>success=false</c>.</summary>
public sealed class EventRejectedException(string instanceId, string eventType, string? reason)
    : RuntaraException(SdkErrorCodes.EventRejected, $"The {eventType} event of instance '{instanceId}' was rejected: {reason}")
{
    /// <summary>The instance whose event was rejected.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>A child instance the workflow awaited ended FAILED or CANCELLED.</summary>
public sealed class ChildFailedException(string childId, InstanceStatus status, string? error)
    : RuntaraException(SdkErrorCodes.ChildFailed, $"Child instance '{childId}' ended {status}{(error is null ? string.Empty : $": {error}")}")
{
    /// <summary>The child instance.</summary>
    public string ChildId { get; } = childId;

    /// <summary>Failed or Cancelled.</summary>
    public InstanceStatus Status { get; } = status;

    /// <summary>The child's error text, if any.</summary>
    public string? Error { get; } = error;
}

/// <summary>Why a workflow stopped before returning.</summary>
public enum InterruptionReason
{
    /// <summary>A PAUSE signal: the instance suspends and is relaunched by ResumeInstance.</summary>
    Paused,

    /// <summary>A durable sleep: the core suspended the instance until its wake-up time.</summary>
    Sleeping,

    /// <summary>A durable wait (signal, children): the core suspended the instance until the wait is due.</summary>
    Waiting,
}

/// <summary>
/// Thrown by SDK calls (steps, sleeps, signal waits) when the instance must stop running now because
/// it was paused or went to sleep durably. Let it propagate: the SDK reports the suspension and the
/// process exits; on relaunch the workflow replays from its checkpoints. Catching it does not keep
/// the instance running: the next SDK call throws it again.
/// </summary>
public sealed class WorkflowInterruptedException(InterruptionReason reason, string? checkpointId, DateTimeOffset? wakeAt = null)
    : RuntaraException(SdkErrorCodes.Interrupted, reason switch
    {
        InterruptionReason.Paused => "The instance was paused.",
        InterruptionReason.Waiting => wakeAt is { } deadline ? $"The instance waits ({checkpointId}) until {deadline:O} at the latest." : $"The instance waits ({checkpointId}).",
        _ => $"The instance sleeps until {wakeAt:O}.",
    })
{
    /// <summary>Whether the instance was paused or went to sleep.</summary>
    public InterruptionReason Reason { get; } = reason;

    /// <summary>The checkpoint the instance resumes from (the sleep's key, or the last checkpoint).</summary>
    public string? CheckpointId { get; } = checkpointId;

    /// <summary>The wake-up time of a durable sleep, or the deadline of a durable wait.</summary>
    public DateTimeOffset? WakeAt { get; } = wakeAt;
}

/// <summary>
/// The core stayed unreachable for longer than <see cref="RuntaraInstanceOptions.CoreUnavailableTolerance"/>.
/// Not the workflow's failure: the run ends as "core unavailable" (exit code 75) and the environment
/// relaunches it once the core answers. The inner exception is the last transport error.
/// </summary>
public sealed class CoreUnavailableException(string method, TimeSpan outage, Exception? innerException = null)
    : RuntaraException(SdkErrorCodes.CoreUnavailable, $"The core was unreachable for {outage.TotalSeconds:0.#} s ({method}): {innerException?.Message}", innerException)
{
    /// <summary>The call that gave up.</summary>
    public string Method { get; } = method;

    /// <summary>How long the call kept retrying.</summary>
    public TimeSpan Outage { get; } = outage;
}

/// <summary>
/// The instance was registered again by another process (relaunched) while this one still ran: the
/// core refused this process's writes with <c>STALE_INCARNATION</c> (docs/protocol.md "Incarnations").
/// The run stops at once and writes nothing more; it ends as <see cref="WorkflowStatus.Superseded"/>
/// (<c>output.json</c> reason <c>superseded</c>, exit code 77). The newer process owns the instance.
/// </summary>
public sealed class InstanceSupersededException(string instanceId, string message, Exception? innerException = null)
    : RuntaraException(SdkErrorCodes.StaleIncarnation, message, innerException)
{
    /// <summary>The instance this process no longer runs.</summary>
    public string InstanceId { get; } = instanceId;
}

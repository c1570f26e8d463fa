namespace Runtara.Sdk;

/// <summary>Stable codes of the SDK's exceptions (<see cref="RuntaraException.Code"/>).</summary>
public static class SdkErrorCodes
{
    public const string Configuration = "CONFIGURATION_ERROR";
    public const string Registration = "REGISTRATION_FAILED";
    public const string StepFailed = "STEP_FAILED";
    public const string Serialization = "SERIALIZATION_ERROR";
    public const string InvalidKey = "INVALID_KEY";
    public const string Interrupted = "WORKFLOW_INTERRUPTED";
    public const string SignalTimeout = "SIGNAL_TIMEOUT";
    public const string InvalidInstanceState = "INVALID_INSTANCE_STATE";
    public const string InstanceNotFound = "INSTANCE_NOT_FOUND";
    public const string EventRejected = "EVENT_REJECTED";
}

/// <summary>A setting is missing or invalid. <see cref="Key"/> names it (an environment variable or option).</summary>
public sealed class RuntaraConfigurationException(string key, string message)
    : RuntaraException(SdkErrorCodes.Configuration, $"{key} {message}")
{
    public string Key { get; } = key;
}

/// <summary>The core refused to register the instance (e.g. it already finished, or belongs to another tenant).</summary>
public sealed class InstanceRegistrationException(string instanceId, string reason, Exception? innerException = null)
    : RuntaraException(SdkErrorCodes.Registration, $"Instance '{instanceId}' could not register: {reason}", innerException)
{
    public string InstanceId { get; } = instanceId;

    public string Reason { get; } = reason;
}

/// <summary>A step failed on its last attempt. The inner exception is the last attempt's error; failures are never cached.</summary>
public sealed class StepFailedException(string stepKey, int attempts, Exception innerException)
    : RuntaraException(SdkErrorCodes.StepFailed, $"Step '{stepKey}' failed after {attempts} attempt(s): {innerException?.Message}", innerException)
{
    public string StepKey { get; } = stepKey;

    public int Attempts { get; } = attempts;
}

/// <summary>A stored step result, signal payload or workflow input could not be (de)serialized.</summary>
public sealed class CheckpointSerializationException(string key, string message, Exception? innerException = null)
    : RuntaraException(SdkErrorCodes.Serialization, $"'{key}': {message}", innerException)
{
    public string Key { get; } = key;
}

/// <summary>A step, sleep or signal key is empty or malformed.</summary>
public sealed class InvalidStepKeyException(string key, string message)
    : RuntaraException(SdkErrorCodes.InvalidKey, $"Invalid key '{key}': {message}")
{
    public string Key { get; } = key;
}

/// <summary><c>WaitForSignalAsync</c> gave up after its timeout. The signal, if it arrives later, stays waiting at the core.</summary>
public sealed class SignalTimeoutException(string signalName, TimeSpan timeout)
    : RuntaraException(SdkErrorCodes.SignalTimeout, $"Signal '{signalName}' did not arrive within {timeout.TotalMilliseconds:0} ms")
{
    public string SignalName { get; } = signalName;

    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>An operation was refused because of the instance's status (embedded backend; the core answers with an RpcError).</summary>
public sealed class InstanceStateException(string instanceId, string operation, InstanceStatus status)
    : RuntaraException(SdkErrorCodes.InvalidInstanceState, $"Instance '{instanceId}' cannot {operation} while {status.ToString().ToLowerInvariant()}")
{
    public string InstanceId { get; } = instanceId;

    public InstanceStatus Status { get; } = status;
}

/// <summary>The instance does not exist (embedded backend).</summary>
public sealed class InstanceNotFoundException(string instanceId)
    : RuntaraException(SdkErrorCodes.InstanceNotFound, $"Instance '{instanceId}' not found")
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>The core answered an event with <c>success=false</c>.</summary>
public sealed class EventRejectedException(string instanceId, string eventType, string? reason)
    : RuntaraException(SdkErrorCodes.EventRejected, $"The {eventType} event of instance '{instanceId}' was rejected: {reason}")
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>Why a workflow stopped before returning.</summary>
public enum InterruptionReason
{
    /// <summary>A PAUSE signal: the instance suspends and is relaunched by ResumeInstance.</summary>
    Paused,

    /// <summary>A durable sleep: the core suspended the instance until its wake-up time.</summary>
    Sleeping,
}

/// <summary>
/// Thrown by SDK calls (steps, sleeps, signal waits) when the instance must stop running now because
/// it was paused or went to sleep durably. Let it propagate: the SDK reports the suspension and the
/// process exits; on relaunch the workflow replays from its checkpoints. Catching it does not keep
/// the instance running: the next SDK call throws it again.
/// </summary>
public sealed class WorkflowInterruptedException(InterruptionReason reason, string? checkpointId, DateTimeOffset? wakeAt = null)
    : RuntaraException(SdkErrorCodes.Interrupted, reason == InterruptionReason.Paused ? "The instance was paused." : $"The instance sleeps until {wakeAt:O}.")
{
    public InterruptionReason Reason { get; } = reason;

    /// <summary>The checkpoint the instance resumes from (the sleep's key, or the last checkpoint).</summary>
    public string? CheckpointId { get; } = checkpointId;

    /// <summary>The wake-up time of a durable sleep.</summary>
    public DateTimeOffset? WakeAt { get; } = wakeAt;
}

using Runtara.Protocol.Contracts;

namespace Runtara.Management;

/// <summary>
/// A failure reported by the environment (or the RPC layer), with its stable <see cref="RuntaraException.Code"/>.
/// Known codes have their own type; match on type or code, never on the message (SPEC §19.19).
/// </summary>
public class ManagementException(string code, string message, Exception? innerException = null)
    : RuntaraException(code, message, innerException)
{
    /// <summary>Builds the typed exception for an error code.</summary>
    public static ManagementException FromError(string code, string message, Exception? innerException = null, string? instanceId = null, string? imageId = null, string? scheduleId = null) => code switch
    {
        EnvironmentErrorCodes.InvalidArgument => new ValidationException(message, innerException),
        EnvironmentErrorCodes.ImageNotFound => new ImageNotFoundException(imageId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.InstanceNotFound => new InstanceNotFoundException(instanceId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.InstanceAlreadyExists => new InstanceAlreadyExistsException(instanceId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.InvalidInstanceState => new InstanceStateException(instanceId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.ImageInUse => new ImageInUseException(imageId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.ChecksumMismatch or EnvironmentErrorCodes.SizeMismatch => new ImageIntegrityException(code, message, innerException),
        EnvironmentErrorCodes.ImageTooLarge => new ImageTooLargeException(message, innerException),
        EnvironmentErrorCodes.QuotaExceeded => new QuotaExceededException(message, innerException),
        EnvironmentErrorCodes.ScheduleNotFound => new ScheduleNotFoundException(scheduleId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.ScheduleAlreadyExists => new ScheduleAlreadyExistsException(scheduleId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.LaunchFailed => new LaunchFailedException(instanceId ?? string.Empty, message, innerException),
        EnvironmentErrorCodes.CoreUnavailable or RpcErrorCodes.Unavailable or RpcErrorCodes.ConnectionClosed or RpcErrorCodes.DeadlineExceeded
            or RpcErrorCodes.TlsFailure or RpcErrorCodes.ShuttingDown => new EnvironmentUnavailableException(code, message, innerException),
        _ => new ManagementException(code, message, innerException),
    };
}

/// <summary>A request field is missing or malformed (e.g. invalid JSON input); nothing was changed.</summary>
public sealed class ValidationException(string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.InvalidArgument, message, innerException);

/// <summary>The image does not exist or belongs to another tenant.</summary>
public sealed class ImageNotFoundException(string imageId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.ImageNotFound, message, innerException)
{
    /// <summary>Creates the exception for an unknown image, with a standard message.</summary>
    /// <param name="imageId">The image that was not found.</param>
    public ImageNotFoundException(string imageId)
        : this(imageId, $"Image '{imageId}' not found")
    {
    }

    /// <summary>The image that was not found.</summary>
    public string ImageId { get; } = imageId;
}

/// <summary>The instance does not exist or belongs to another tenant.</summary>
public sealed class InstanceNotFoundException(string instanceId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.InstanceNotFound, message, innerException)
{
    /// <summary>Creates the exception for an unknown instance, with a standard message.</summary>
    /// <param name="instanceId">The instance that was not found.</param>
    public InstanceNotFoundException(string instanceId)
        : this(instanceId, $"Instance '{instanceId}' not found")
    {
    }

    /// <summary>The instance that was not found.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>The checkpoint does not exist.</summary>
public sealed class CheckpointNotFoundException(string instanceId, string checkpointId)
    : ManagementException("CHECKPOINT_NOT_FOUND", $"Checkpoint '{checkpointId}' of instance '{instanceId}' not found")
{
    /// <summary>The instance the checkpoint was looked up for.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>The checkpoint that was not found.</summary>
    public string CheckpointId { get; } = checkpointId;
}

/// <summary>The instance id is taken by an instance of another image or tenant.</summary>
public sealed class InstanceAlreadyExistsException(string instanceId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.InstanceAlreadyExists, message, innerException)
{
    /// <summary>The instance id that is taken.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>The operation is not allowed in the instance's status (e.g. resuming a running instance).</summary>
public sealed class InstanceStateException(string instanceId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.InvalidInstanceState, message, innerException)
{
    /// <summary>The instance whose status refused the operation.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>The image still has running or suspended instances.</summary>
public sealed class ImageInUseException(string imageId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.ImageInUse, message, innerException)
{
    /// <summary>The image that is still in use.</summary>
    public string ImageId { get; } = imageId;
}

/// <summary>The upload did not match its declared SHA-256 (<c>CHECKSUM_MISMATCH</c>) or size (<c>SIZE_MISMATCH</c>).</summary>
public sealed class ImageIntegrityException(string code, string message, Exception? innerException = null)
    : ManagementException(code, message, innerException);

/// <summary>The image exceeds the environment's size limit.</summary>
public sealed class ImageTooLargeException(string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.ImageTooLarge, message, innerException);

/// <summary>The tenant has too many active instances.</summary>
public sealed class QuotaExceededException(string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.QuotaExceeded, message, innerException);

/// <summary>The instance process could not be started (the instance is failed).</summary>
public sealed class LaunchFailedException(string instanceId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.LaunchFailed, message, innerException)
{
    /// <summary>The instance whose process could not be started.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>The environment (or the core behind it) cannot be reached, or the call's deadline passed.</summary>
public sealed class EnvironmentUnavailableException(string code, string message, Exception? innerException = null)
    : ManagementException(code, message, innerException);

/// <summary><see cref="RuntaraManagementClient.WaitForCompletionAsync"/> reached its deadline first.</summary>
public sealed class WaitTimeoutException(string instanceId, TimeSpan timeout, InstanceStatus lastStatus)
    : ManagementException("WAIT_TIMEOUT", $"Instance '{instanceId}' did not finish within {timeout.TotalSeconds:0.#} s (last status: {lastStatus.ToString().ToLowerInvariant()})")
{
    /// <summary>The instance that was waited for.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>The instance's status at the last poll.</summary>
    public InstanceStatus LastStatus { get; } = lastStatus;
}

/// <summary>
/// <see cref="RuntaraManagementClient.GetResultAsync{TOutput}"/> found the instance ended without a result:
/// FAILED (with the workflow's <see cref="Error"/>) or CANCELLED (see <see cref="Status"/>).
/// </summary>
public sealed class InstanceFailedException(string instanceId, InstanceStatus status, string? error)
    : ManagementException("INSTANCE_FAILED", $"Instance '{instanceId}' ended {status.ToString().ToUpperInvariant()}{(error is null ? string.Empty : $": {error}")}")
{
    /// <summary>The instance that ended without a result.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>Its final status: <see cref="InstanceStatus.Failed"/> or <see cref="InstanceStatus.Cancelled"/>.</summary>
    public InstanceStatus Status { get; } = status;

    /// <summary>The error text it failed with; null when none was recorded (e.g. cancelled).</summary>
    public string? Error { get; } = error;
}

/// <summary>A setting (option or environment variable) has a bad value.</summary>
public sealed class ManagementConfigurationException(string setting, string message)
    : ManagementException("CONFIGURATION_ERROR", $"{setting} {message}")
{
    /// <summary>The option or environment variable at fault (e.g. <c>Address</c>).</summary>
    public string Setting { get; } = setting;
}

/// <summary>The schedule does not exist or belongs to another tenant.</summary>
public sealed class ScheduleNotFoundException(string scheduleId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.ScheduleNotFound, message, innerException)
{
    /// <summary>The schedule that was not found.</summary>
    public string ScheduleId { get; } = scheduleId;
}

/// <summary>The schedule id is used by a schedule of another tenant (schedule ids name instances, which are global).</summary>
public sealed class ScheduleAlreadyExistsException(string scheduleId, string message, Exception? innerException = null)
    : ManagementException(EnvironmentErrorCodes.ScheduleAlreadyExists, message, innerException)
{
    /// <summary>The schedule id that is taken.</summary>
    public string ScheduleId { get; } = scheduleId;
}

namespace Runtara.Environment;

/// <summary>Root of the failures the environment reports to its callers; the code travels in <c>RpcError.code</c>.</summary>
public abstract class EnvironmentException(string code, string message, Exception? innerException = null)
    : RuntaraException(code, message, innerException);

/// <summary>A request field is missing or malformed; nothing was changed.</summary>
public sealed class InvalidArgumentException(string field, string message)
    : EnvironmentException(EnvironmentErrorCodes.InvalidArgument, $"Invalid request: {field} {message}")
{
    public string Field { get; } = field;

    public static void ThrowIfEmpty(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidArgumentException(field, "is required");
        }
    }
}

/// <summary>The image does not exist or belongs to another tenant (reported identically, so existence does not leak).</summary>
public sealed class ImageNotFoundException(string imageId)
    : EnvironmentException(EnvironmentErrorCodes.ImageNotFound, $"Image '{imageId}' not found")
{
    public string ImageId { get; } = imageId;
}

/// <summary>The instance does not exist or belongs to another tenant.</summary>
public sealed class InstanceNotFoundException(string instanceId)
    : EnvironmentException(EnvironmentErrorCodes.InstanceNotFound, $"Instance '{instanceId}' not found")
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>The instance id is already used by an instance of another image or tenant.</summary>
public sealed class InstanceAlreadyExistsException(string instanceId, string reason)
    : EnvironmentException(EnvironmentErrorCodes.InstanceAlreadyExists, $"Instance '{instanceId}' already exists {reason}")
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>The operation is not allowed in the instance's status.</summary>
public sealed class InvalidInstanceStateException(string instanceId, string operation, string status, string expected)
    : EnvironmentException(EnvironmentErrorCodes.InvalidInstanceState, $"Cannot {operation} instance '{instanceId}' in '{status}' state ({expected})")
{
    public string InstanceId { get; } = instanceId;

    public string Status { get; } = status;
}

/// <summary>The image still has active instances.</summary>
public sealed class ImageInUseException(string imageId, int activeInstances)
    : EnvironmentException(EnvironmentErrorCodes.ImageInUse, $"Image '{imageId}' has {activeInstances} running or suspended instance(s); stop them before deleting it")
{
    public string ImageId { get; } = imageId;
}

/// <summary>The uploaded content does not hash to the declared SHA-256.</summary>
public sealed class ChecksumMismatchException(string expected, string actual)
    : EnvironmentException(EnvironmentErrorCodes.ChecksumMismatch, $"Checksum mismatch: expected {expected}, got {actual}");

/// <summary>The uploaded content is not the declared size.</summary>
public sealed class SizeMismatchException(ulong expected, long actual)
    : EnvironmentException(EnvironmentErrorCodes.SizeMismatch, $"Size mismatch: expected {expected}, got {actual}");

/// <summary>The image is over the configured limit.</summary>
public sealed class ImageTooLargeException(long size, long limit)
    : EnvironmentException(EnvironmentErrorCodes.ImageTooLarge, $"Image of {size} bytes exceeds the limit of {limit} bytes (Runtara:Environment:MaxImageSize)");

/// <summary>The tenant has as many active instances as allowed.</summary>
public sealed class QuotaExceededException(string tenantId, int limit)
    : EnvironmentException(EnvironmentErrorCodes.QuotaExceeded, $"Tenant '{tenantId}' already has {limit} pending or running instances (Runtara:Environment:MaxActiveInstancesPerTenant)");

/// <summary>The instance process could not be started.</summary>
public sealed class LaunchFailedException(string instanceId, string reason, Exception? innerException = null)
    : EnvironmentException(EnvironmentErrorCodes.LaunchFailed, $"Launch of instance '{instanceId}' failed: {reason}", innerException)
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>The core could not be reached or failed.</summary>
public sealed class CoreUnavailableException(string operation, Exception innerException)
    : EnvironmentException(EnvironmentErrorCodes.CoreUnavailable, $"Core error during {operation}: {innerException.Message}", innerException);

/// <summary>The environment's database failed.</summary>
public sealed class EnvironmentStorageException(string operation, Exception innerException)
    : EnvironmentException(EnvironmentErrorCodes.DatabaseError, $"Database error during '{operation}': {innerException.Message}", innerException);

/// <summary>The core refused a forwarded request; the code says why (e.g. a signal to a terminal instance).</summary>
public sealed class CoreRejectedException(string code, string message, Exception? innerException = null)
    : EnvironmentException(code, message, innerException);

/// <summary>The schedule does not exist or belongs to another tenant (reported identically, so existence does not leak).</summary>
public sealed class ScheduleNotFoundException(string scheduleId)
    : EnvironmentException(EnvironmentErrorCodes.ScheduleNotFound, $"Schedule '{scheduleId}' not found")
{
    public string ScheduleId { get; } = scheduleId;
}

/// <summary>The schedule id is used by a schedule of another tenant (schedule ids name instances, which are global).</summary>
public sealed class ScheduleAlreadyExistsException(string scheduleId)
    : EnvironmentException(EnvironmentErrorCodes.ScheduleAlreadyExists, $"Schedule id '{scheduleId}' is already in use; choose another")
{
    public string ScheduleId { get; } = scheduleId;
}

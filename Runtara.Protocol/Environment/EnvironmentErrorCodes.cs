namespace Runtara;

/// <summary>
/// Stable error codes the environment answers in <c>RpcError.code</c> (docs/protocol.md). They name
/// the failure, not the RPC, so the management client maps each to one exception type, whatever was
/// called (SPEC §19.19: the original's clients searched error text for "not found").
/// </summary>
public static class EnvironmentErrorCodes
{
    /// <summary>A required field is missing or malformed (ids, JSON input, sizes); nothing was changed.</summary>
    public const string InvalidArgument = "INVALID_ARGUMENT";

    /// <summary>The image does not exist or belongs to another tenant (the two are indistinguishable).</summary>
    public const string ImageNotFound = "IMAGE_NOT_FOUND";

    /// <summary>The instance does not exist or belongs to another tenant.</summary>
    public const string InstanceNotFound = "INSTANCE_NOT_FOUND";

    /// <summary>The instance id is taken by an instance of another image or tenant.</summary>
    public const string InstanceAlreadyExists = "INSTANCE_ALREADY_EXISTS";

    /// <summary>The operation is not allowed in the instance's current status.</summary>
    public const string InvalidInstanceState = "INVALID_INSTANCE_STATE";

    /// <summary>The image still has running or suspended instances.</summary>
    public const string ImageInUse = "IMAGE_IN_USE";

    /// <summary>The uploaded content does not match the declared SHA-256.</summary>
    public const string ChecksumMismatch = "CHECKSUM_MISMATCH";

    /// <summary>The uploaded content does not match the declared size.</summary>
    public const string SizeMismatch = "SIZE_MISMATCH";

    /// <summary>The image is larger than <c>Runtara:Environment:MaxImageSize</c>.</summary>
    public const string ImageTooLarge = "IMAGE_TOO_LARGE";

    /// <summary>The tenant has as many active instances as <c>Runtara:Environment:MaxActiveInstancesPerTenant</c> allows.</summary>
    public const string QuotaExceeded = "QUOTA_EXCEEDED";

    /// <summary>The instance process could not be started.</summary>
    public const string LaunchFailed = "LAUNCH_FAILED";

    /// <summary>The core could not be reached or answered with an unexpected error.</summary>
    public const string CoreUnavailable = "CORE_UNAVAILABLE";

    /// <summary>The environment's own database failed.</summary>
    public const string DatabaseError = "DATABASE_ERROR";

    /// <summary>The schedule does not exist or belongs to another tenant (the two are indistinguishable).</summary>
    public const string ScheduleNotFound = "SCHEDULE_NOT_FOUND";

    /// <summary>The schedule id is taken by a schedule of another tenant.</summary>
    public const string ScheduleAlreadyExists = "SCHEDULE_ALREADY_EXISTS";
}

namespace Runtara.Engine;

/// <summary>
/// Stable error codes the core answers in <c>RpcError.code</c> (docs/protocol.md). They name the
/// failure, not the RPC, so a client can act on them whatever it called.
/// </summary>
public static class CoreErrorCodes
{
    /// <summary>A required field is missing or a value is out of range; nothing was changed.</summary>
    public const string ValidationError = "VALIDATION_ERROR";

    /// <summary>The instance id is unknown.</summary>
    public const string InstanceNotFound = "INSTANCE_NOT_FOUND";

    /// <summary>The instance already exists (for another tenant).</summary>
    public const string InstanceAlreadyExists = "INSTANCE_ALREADY_EXISTS";

    /// <summary>The RPC is not allowed in the instance's current status (SPEC §7).</summary>
    public const string InvalidInstanceState = "INVALID_INSTANCE_STATE";

    /// <summary>The instance belongs to another tenant.</summary>
    public const string TenantMismatch = "TENANT_MISMATCH";

    /// <summary>A checkpoint named by the request does not exist.</summary>
    public const string CheckpointNotFound = "CHECKPOINT_NOT_FOUND";

    /// <summary>The checkpoint state exceeds <c>Runtara:Core:MaxCheckpointSize</c>.</summary>
    public const string CheckpointTooLarge = "CHECKPOINT_TOO_LARGE";

    /// <summary>An event payload exceeds <c>Runtara:Core:MaxEventPayloadSize</c>.</summary>
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";

    /// <summary>
    /// The request presented an incarnation that is not the instance's current one: the instance was
    /// registered again (relaunched) since, and the calling process must stop. Nothing was applied.
    /// </summary>
    public const string StaleIncarnation = "STALE_INCARNATION";

    /// <summary>The storage failed; the operation was not applied.</summary>
    public const string DatabaseError = "DATABASE_ERROR";

    /// <summary>The storage write queue is full; retry later.</summary>
    public const string Overloaded = RpcErrorCodes.ResourceExhausted;

    /// <summary>The storage's disk is full; the operation was not applied. Retry once space is freed.</summary>
    public const string StorageFull = RpcErrorCodes.ResourceExhausted;
}

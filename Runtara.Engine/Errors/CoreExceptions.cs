using Runtara.Engine.Instances;

namespace Runtara.Engine;

/// <summary>Root of the core's own failures; each carries a stable <see cref="RuntaraException.Code"/>.</summary>
public abstract class CoreException : RuntaraException
{
    /// <summary>Creates the exception with a stable error code (one of <see cref="CoreErrorCodes"/>).</summary>
    /// <param name="code">The stable error code sent as <c>RpcError.code</c>.</param>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected CoreException(string code, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
    }
}

/// <summary>A request field is missing or invalid.</summary>
public sealed class CoreValidationException(string field, string message)
    : CoreException(CoreErrorCodes.ValidationError, $"Validation error for '{field}': {message}")
{
    /// <summary>The request field at fault, as named on the wire (e.g. <c>instance_id</c>).</summary>
    public string Field { get; } = field;

    /// <summary>Longest instance or tenant id the core stores (docs/protocol.md "Limits").</summary>
    public const int MaxIdLength = 256;

    /// <summary>Longest checkpoint id, signal name, key or image reference the core stores.</summary>
    public const int MaxNameLength = 1024;

    /// <summary>
    /// Throws when <paramref name="value"/> is null or empty, or longer than the limit of its field:
    /// <see cref="MaxIdLength"/> for <c>instance_id</c> and <c>tenant_id</c>, <see cref="MaxNameLength"/>
    /// for any other name. Unbounded ids would make every list that returns them unbounded too.
    /// </summary>
    public static void ThrowIfEmpty(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new CoreValidationException(field, $"{field} is required");
        }

        var limit = field is "instance_id" or "tenant_id" ? MaxIdLength : MaxNameLength;
        if (value.Length > limit)
        {
            throw new CoreValidationException(field, $"{field} is {value.Length} characters; the limit is {limit}");
        }
    }
}

/// <summary>The instance does not exist.</summary>
public sealed class InstanceNotFoundException(string instanceId)
    : CoreException(CoreErrorCodes.InstanceNotFound, $"Instance '{instanceId}' not found")
{
    /// <summary>The instance that was not found.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>The instance exists and cannot be created again.</summary>
public sealed class InstanceAlreadyExistsException(string instanceId, string tenantId)
    : CoreException(CoreErrorCodes.InstanceAlreadyExists, $"Instance '{instanceId}' already exists for another tenant than '{tenantId}'")
{
    /// <summary>The instance that already exists.</summary>
    public string InstanceId { get; } = instanceId;
}

/// <summary>The instance belongs to a different tenant than the caller claims.</summary>
public sealed class TenantMismatchException(string instanceId, string tenantId)
    : CoreException(CoreErrorCodes.TenantMismatch, $"Instance '{instanceId}' does not belong to tenant '{tenantId}'")
{
    /// <summary>The instance the caller named.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>The tenant the caller claimed, which does not own the instance.</summary>
    public string TenantId { get; } = tenantId;
}

/// <summary>The operation is not allowed in the instance's status (SPEC §7, enforced here).</summary>
public sealed class InvalidInstanceStateException(string instanceId, string operation, InstanceStatus actual, IReadOnlyCollection<InstanceStatus> allowed)
    : CoreException(
        CoreErrorCodes.InvalidInstanceState,
        $"Instance '{instanceId}' is in invalid state for {operation}: expected {string.Join(" or ", allowed.Select(s => $"'{s.ToStorageName()}'"))}, got '{actual.ToStorageName()}'")
{
    /// <summary>The instance whose status forbids the operation.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>The refused operation (e.g. <c>register</c>, <c>a completed event</c>).</summary>
    public string Operation { get; } = operation;

    /// <summary>The instance's status when the operation was refused.</summary>
    public InstanceStatus Actual { get; } = actual;

    /// <summary>The statuses in which the operation is allowed.</summary>
    public IReadOnlyCollection<InstanceStatus> Allowed { get; } = allowed;
}

/// <summary>
/// A write from a process whose registration was superseded: the instance registered again (its
/// incarnation is now <see cref="Current"/>), so the process that presented <see cref="Presented"/>
/// must stop. Nothing of the request was applied.
/// </summary>
public sealed class StaleIncarnationException(string instanceId, long presented, long current)
    : CoreException(
        CoreErrorCodes.StaleIncarnation,
        presented < current
            ? $"instance {instanceId}: incarnation {presented} was superseded by incarnation {current} (the instance was relaunched); this process must stop"
            : $"instance {instanceId}: incarnation {presented} is not the current one ({current}); this process must stop")
{
    /// <summary>The instance the request was about.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>The incarnation the request presented.</summary>
    public long Presented { get; } = presented;

    /// <summary>The instance's current incarnation.</summary>
    public long Current { get; } = current;
}

/// <summary>A checkpoint named by the request does not exist.</summary>
public sealed class CheckpointNotFoundException(string instanceId, string checkpointId)
    : CoreException(CoreErrorCodes.CheckpointNotFound, $"Checkpoint '{checkpointId}' not found for instance '{instanceId}'")
{
    /// <summary>The instance the checkpoint was looked up for.</summary>
    public string InstanceId { get; } = instanceId;

    /// <summary>The checkpoint that does not exist.</summary>
    public string CheckpointId { get; } = checkpointId;
}

/// <summary>The checkpoint state is larger than the configured limit.</summary>
public sealed class CheckpointTooLargeException(string instanceId, string checkpointId, long size, long limit)
    : CoreException(CoreErrorCodes.CheckpointTooLarge, $"Checkpoint '{checkpointId}' of instance '{instanceId}' is {size} bytes; the limit is {limit} bytes")
{
    /// <summary>The size of the refused checkpoint state, in bytes.</summary>
    public long Size { get; } = size;

    /// <summary>The configured maximum checkpoint size, in bytes.</summary>
    public long Limit { get; } = limit;
}

/// <summary>An event payload is larger than the configured limit.</summary>
public sealed class PayloadTooLargeException(string field, long size, long limit)
    : CoreException(CoreErrorCodes.PayloadTooLarge, $"'{field}' is {size} bytes; the limit is {limit} bytes")
{
    /// <summary>The size of the refused payload, in bytes.</summary>
    public long Size { get; } = size;

    /// <summary>The configured maximum payload size, in bytes.</summary>
    public long Limit { get; } = limit;
}

/// <summary>The storage failed; the operation was not applied. Details are in the server log.</summary>
public sealed class StorageException(string operation, Exception innerException)
    : CoreException(CoreErrorCodes.DatabaseError, $"Database error during '{operation}': {innerException.GetType().Name}", innerException)
{
    /// <summary>The storage operation that failed (e.g. <c>checkpoint</c>).</summary>
    public string Operation { get; } = operation;
}

/// <summary>Too many writes are queued; the caller should retry.</summary>
public sealed class StorageOverloadedException(int capacity)
    : CoreException(CoreErrorCodes.Overloaded, $"The storage write queue is full ({capacity} pending operations); retry later")
{
}

/// <summary>
/// The storage's disk is full (SQLite <c>SQLITE_FULL</c> or an I/O error with ENOSPC, PostgreSQL
/// SQLSTATE 53100): the operation was not applied. Writes succeed again as soon as space is freed;
/// meanwhile /health reports Degraded.
/// </summary>
public sealed class StorageFullException(string operation, Exception innerException)
    : CoreException(CoreErrorCodes.StorageFull, $"Storage is full: '{operation}' was not applied; retry once disk space is freed", innerException)
{
    /// <summary>The storage operation that was not applied.</summary>
    public string Operation { get; } = operation;
}

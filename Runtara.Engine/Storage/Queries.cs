using Runtara.Engine.Events;
using Runtara.Engine.Instances;

namespace Runtara.Engine.Storage;

/// <summary>A page of results with the total count under the same filters.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long TotalCount, int Limit, int Offset);

/// <summary>Filters of ListInstances (newest first).</summary>
public sealed record InstanceQuery(string? TenantId, InstanceStatus? Status, long? LastActivityBeforeMs, int Limit, int Offset);

/// <summary>Filters of ListCheckpoints (newest first). Created-after is inclusive, created-before exclusive.</summary>
public sealed record CheckpointQuery(string InstanceId, string? CheckpointId, long? CreatedAfterMs, long? CreatedBeforeMs, int Limit, int Offset);

/// <summary>Filters of ListEvents (newest first).</summary>
public sealed record EventQuery(string InstanceId, EventKind? Kind, string? Subtype, long? CreatedAfterMs, long? CreatedBeforeMs, string? PayloadContains, int Limit, int Offset);

/// <summary>Filters of ListRetryAttempts (by durable function key, then attempt number).</summary>
public sealed record RetryAttemptQuery(string InstanceId, string? CheckpointId, int Limit, int Offset);

/// <summary>A suspended instance whose wake-up time has passed.</summary>
public sealed record DueWakeup(string InstanceId, string TenantId, string? CheckpointId, long WakeAtMs);

/// <summary>An instance deleted by retention (docs/operations.md "Retention").</summary>
public sealed record PurgedInstance(string InstanceId, string TenantId);

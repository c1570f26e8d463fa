using Runtara.Engine.Checkpoints;
using Runtara.Engine.Children;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;

namespace Runtara.Engine.Storage;

/// <summary>
/// The primitives a unit of work may use inside the writer's transaction. The business rules live
/// in the services (written once); backends implement only these statements.
/// </summary>
public interface IStoreWriter
{
    /// <summary>Reads the instance row (PostgreSQL locks it for the transaction).</summary>
    ValueTask<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// The checkpoint hot path's single read: the instance's status (its row locked on PostgreSQL;
    /// null when there is no such instance), its unacknowledged signal, and whether a custom signal
    /// waits at <paramref name="checkpointId"/> (a hint: <see cref="TakeCustomSignalAsync"/> stays the
    /// authority that consumes it). Only the status and the incarnation are read of the row (the
    /// fence is checked in the same transaction, with no extra round trip): the callers check nothing else.
    /// </summary>
    ValueTask<(InstanceStatus? Status, long Incarnation, PendingSignal? Signal, bool CustomSignalWaiting)> GetInstanceAndSignalsAsync(
        string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>
    /// Tells the other cores over the same database, when this transaction commits, that something may
    /// have become due (PostgreSQL: NOTIFY; SQLite, one core per file: nothing). The caller still pulses
    /// its own <see cref="Waits.WakeupNotifier"/> after the commit.
    /// </summary>
    ValueTask NotifyWakeupAsync(CancellationToken cancellationToken);

    /// <summary>Inserts a new instance row.</summary>
    ValueTask InsertInstanceAsync(InstanceRecord instance, CancellationToken cancellationToken);

    /// <summary>Writes every mutable column of the instance row.</summary>
    ValueTask UpdateInstanceAsync(InstanceRecord instance, CancellationToken cancellationToken);

    /// <summary>Records a freshly saved checkpoint as the instance's last one and stamps activity (the hot path's narrow update).</summary>
    ValueTask SetLastCheckpointAsync(string instanceId, string checkpointId, long atMs, CancellationToken cancellationToken);

    /// <summary>Stamps last activity only.</summary>
    ValueTask TouchInstanceAsync(string instanceId, long atMs, CancellationToken cancellationToken);

    /// <summary>Atomic insert-if-absent (INSERT … ON CONFLICT DO NOTHING), then the stored row: the winner's state for every caller.</summary>
    ValueTask<CheckpointSaveResult> SaveCheckpointIfAbsentAsync(string instanceId, string checkpointId, byte[] state, long nowMs, CancellationToken cancellationToken);

    /// <summary>True when (instance, checkpoint id) is stored.</summary>
    ValueTask<bool> CheckpointExistsAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>The stored checkpoint as this transaction sees it, or null (a store-as poll answers from it without consuming).</summary>
    ValueTask<CheckpointRecord?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>
    /// Copies <paramref name="sourceId"/>'s checkpoints, in the order they were saved, up to and including
    /// <paramref name="upToCheckpointId"/> (all when null) to <paramref name="targetId"/>, keeping their
    /// states and times. Returns how many were copied and the last one's id; null when
    /// <paramref name="upToCheckpointId"/> is not a checkpoint of the source.
    /// </summary>
    ValueTask<(int Copied, string? LastCheckpointId)?> CopyCheckpointsAsync(string sourceId, string targetId, string? upToCheckpointId, CancellationToken cancellationToken);

    /// <summary>The instance's pending signal, acknowledged or not; null when it has none.</summary>
    ValueTask<PendingSignal?> GetPendingSignalAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Replaces the instance's single pending signal and clears its acknowledgement.</summary>
    ValueTask UpsertPendingSignalAsync(PendingSignal signal, CancellationToken cancellationToken);

    /// <summary>Acknowledges the pending signal when it is unacknowledged and of <paramref name="kind"/>; false otherwise.</summary>
    ValueTask<bool> AcknowledgeSignalAsync(string instanceId, SignalKind kind, long nowMs, CancellationToken cancellationToken);

    /// <summary>Stores (or replaces) the custom signal waiting at (instance, checkpoint id).</summary>
    ValueTask UpsertCustomSignalAsync(string instanceId, string checkpointId, byte[] payload, long nowMs, CancellationToken cancellationToken);

    /// <summary>Deletes and returns the custom signal of (instance, checkpoint): delivered exactly once.</summary>
    ValueTask<byte[]?> TakeCustomSignalAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>Appends an event to the instance's history.</summary>
    ValueTask InsertEventAsync(NewEvent instanceEvent, CancellationToken cancellationToken);

    /// <summary>Records the wake-up time of the sleep at (instance, checkpoint) unless one is stored; returns the stored time.</summary>
    ValueTask<long> SaveSleepIfAbsentAsync(string instanceId, string checkpointId, long wakeAtMs, long nowMs, CancellationToken cancellationToken);

    /// <summary>Stores a step's retry attempt, replacing one with the same (instance, checkpoint id, attempt number).</summary>
    ValueTask UpsertRetryAttemptAsync(RetryAttemptRecord attempt, CancellationToken cancellationToken);

    /// <summary>When the custom signal waiting at (instance, checkpoint) arrived; null when none waits.</summary>
    ValueTask<long?> GetCustomSignalTimeAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>Records a child instance (its instance row is inserted by the caller first).</summary>
    ValueTask InsertChildAsync(ChildRecord child, CancellationToken cancellationToken);

    /// <summary>The id of the child <paramref name="parentId"/> started under <paramref name="key"/>, or null.</summary>
    ValueTask<string?> GetChildIdAsync(string parentId, string key, CancellationToken cancellationToken);

    /// <summary>The parent of a child instance; null for an instance nobody started as a child.</summary>
    ValueTask<string?> GetParentIdAsync(string childId, CancellationToken cancellationToken);

    /// <summary>The children of <paramref name="parentId"/> that are cancelled with it (not detached), with their statuses.</summary>
    ValueTask<IReadOnlyList<(string ChildId, InstanceStatus Status)>> ListAttachedChildrenAsync(string parentId, CancellationToken cancellationToken);

    /// <summary>
    /// Children still PENDING whose start is not leased, oldest first, while their estimated answer
    /// size (<see cref="ChildStart.EstimatedBytes"/>) stays within <paramref name="maxBytes"/> (with
    /// <paramref name="atLeastOne"/>, the first one always, however large, so paging makes progress);
    /// leases only those it returns. <c>Cut</c>: the byte budget left further children for a later claim.
    /// </summary>
    ValueTask<(IReadOnlyList<ChildStart> Starts, bool Cut)> ClaimChildStartsAsync(long nowMs, int limit, long maxBytes, bool atLeastOne, long? leaseUntilMs, CancellationToken cancellationToken);

    /// <summary>SUSPENDED instances with a wake-up time at or before <paramref name="nowMs"/> and no live lease, oldest first; leases them when asked.</summary>
    ValueTask<IReadOnlyList<DueWakeup>> ClaimDueWakeupsAsync(long nowMs, int limit, long? leaseUntilMs, CancellationToken cancellationToken);
    /// <summary>
    /// Retention (docs/operations.md): deletes up to <paramref name="limit"/> finished instances of the
    /// pass that finished before its cutoff, with every row that hangs off them (ON DELETE CASCADE),
    /// oldest first; an instance whose parent or one of whose children is still live is kept. Other
    /// writers' claimed rows are skipped (PostgreSQL SKIP LOCKED). Returns what was deleted.
    /// </summary>
    ValueTask<IReadOnlyList<PurgedInstance>> PurgeFinishedInstancesAsync(Runtara.Data.RetentionPass pass, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the instance row and (by cascade) everything of it; false when there was none.</summary>
    ValueTask<bool> DeleteInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>True when the instance is the parent or a child of an instance that is pending, running or suspended.</summary>
    ValueTask<bool> HasLiveRelativeAsync(string instanceId, CancellationToken cancellationToken);
}

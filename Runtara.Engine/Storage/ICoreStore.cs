using Runtara.Engine.Checkpoints;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;

namespace Runtara.Engine.Storage;

/// <summary>
/// The core's persistence: one interface, two implementations (SQLite, PostgreSQL). Writes are
/// units of work run by a writer (SQLite: one; PostgreSQL: one or more side by side) and
/// group-committed: many operations share one transaction and one fsync, and each caller's task
/// completes only after that commit is durable. Reads run on their own connections and see
/// committed data only.
/// </summary>
public interface ICoreStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgresql".</summary>
    string Backend { get; }

    /// <summary>Applies pending migrations and starts the writer. Called once at start-up.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> inside the next group-commit transaction and returns its result
    /// once the transaction is durable. A <see cref="CoreException"/> thrown before the work's first
    /// write rejects that operation alone; anything else rolls the batch back and the batch's
    /// operations are re-run one by one, so one failure never fails its neighbours.
    /// </summary>
    Task<T> WriteAsync<T>(string operation, Func<IStoreWriter, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken);

    Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    Task<CheckpointRecord?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>The unacknowledged instance-wide signal, if any.</summary>
    Task<PendingSignal?> GetPendingSignalAsync(string instanceId, CancellationToken cancellationToken);

    Task<Page<InstanceRecord>> ListInstancesAsync(InstanceQuery query, CancellationToken cancellationToken);

    Task<Page<CheckpointSummary>> ListCheckpointsAsync(CheckpointQuery query, CancellationToken cancellationToken);

    Task<Page<EventRecord>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);

    Task<Page<RetryAttemptRecord>> ListRetryAttemptsAsync(RetryAttemptQuery query, CancellationToken cancellationToken);

    /// <summary>Number of instances in each status (statuses with none are absent).</summary>
    Task<IReadOnlyDictionary<InstanceStatus, long>> CountInstancesByStatusAsync(CancellationToken cancellationToken);

    /// <summary>True when the database answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// When writes began to fail for lack of disk space (<see cref="StorageFullException"/>); null
    /// while the last write outcome was anything else. Health reports Degraded while it is set.
    /// </summary>
    DateTimeOffset? OutOfSpaceSince { get; }
}

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
    /// authority that consumes it). Only the status is read of the row: the callers check nothing else.
    /// </summary>
    ValueTask<(InstanceStatus? Status, PendingSignal? Signal, bool CustomSignalWaiting)> GetInstanceAndSignalsAsync(
        string instanceId, string checkpointId, CancellationToken cancellationToken);

    ValueTask InsertInstanceAsync(InstanceRecord instance, CancellationToken cancellationToken);

    /// <summary>Writes every mutable column of the instance row.</summary>
    ValueTask UpdateInstanceAsync(InstanceRecord instance, CancellationToken cancellationToken);

    /// <summary>Records a freshly saved checkpoint as the instance's last one and stamps activity (the hot path's narrow update).</summary>
    ValueTask SetLastCheckpointAsync(string instanceId, string checkpointId, long atMs, CancellationToken cancellationToken);

    /// <summary>Stamps last activity only.</summary>
    ValueTask TouchInstanceAsync(string instanceId, long atMs, CancellationToken cancellationToken);

    /// <summary>Atomic insert-if-absent (INSERT … ON CONFLICT DO NOTHING), then the stored row: the winner's state for every caller.</summary>
    ValueTask<CheckpointSaveResult> SaveCheckpointIfAbsentAsync(string instanceId, string checkpointId, byte[] state, long nowMs, CancellationToken cancellationToken);

    ValueTask<bool> CheckpointExistsAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>The stored checkpoint as this transaction sees it, or null (a store-as poll answers from it without consuming).</summary>
    ValueTask<CheckpointRecord?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    ValueTask<PendingSignal?> GetPendingSignalAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Replaces the instance's single pending signal and clears its acknowledgement.</summary>
    ValueTask UpsertPendingSignalAsync(PendingSignal signal, CancellationToken cancellationToken);

    /// <summary>Acknowledges the pending signal when it is unacknowledged and of <paramref name="kind"/>; false otherwise.</summary>
    ValueTask<bool> AcknowledgeSignalAsync(string instanceId, SignalKind kind, long nowMs, CancellationToken cancellationToken);

    ValueTask UpsertCustomSignalAsync(string instanceId, string checkpointId, byte[] payload, long nowMs, CancellationToken cancellationToken);

    /// <summary>Deletes and returns the custom signal of (instance, checkpoint): delivered exactly once.</summary>
    ValueTask<byte[]?> TakeCustomSignalAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    ValueTask InsertEventAsync(NewEvent instanceEvent, CancellationToken cancellationToken);

    /// <summary>Records the wake-up time of the sleep at (instance, checkpoint) unless one is stored; returns the stored time.</summary>
    ValueTask<long> SaveSleepIfAbsentAsync(string instanceId, string checkpointId, long wakeAtMs, long nowMs, CancellationToken cancellationToken);

    ValueTask UpsertRetryAttemptAsync(RetryAttemptRecord attempt, CancellationToken cancellationToken);

    /// <summary>SUSPENDED instances with a wake-up time at or before <paramref name="nowMs"/> and no live lease, oldest first; leases them when asked.</summary>
    ValueTask<IReadOnlyList<DueWakeup>> ClaimDueWakeupsAsync(long nowMs, int limit, long? leaseUntilMs, CancellationToken cancellationToken);
}

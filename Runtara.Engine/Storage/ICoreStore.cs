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

    /// <summary>
    /// <see cref="WriteAsync{T}"/> with the work's input passed rather than captured (a static
    /// <paramref name="work"/> allocates no closure), answered by a value task that must be awaited
    /// exactly once: what the hot paths (every checkpoint) use.
    /// </summary>
    ValueTask<T> WriteAsync<TState, T>(string operation, TState state, Func<IStoreWriter, TState, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="WriteAsync{TState, T}"/> whose caller gets <paramref name="answer"/> of the committed
    /// result, made when the caller takes it (on the caller's thread, not the writer's; an exception
    /// from it is the caller's): the caller needs no state machine of its own to wait for the commit.
    /// </summary>
    ValueTask<TAnswer> WriteAsync<TState, T, TAnswer>(
        string operation, TState state, Func<IStoreWriter, TState, CancellationToken, ValueTask<T>> work, Func<T, TState, TAnswer> answer, CancellationToken cancellationToken);

    /// <summary>The committed instance row, or null when there is no such instance.</summary>
    Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The committed checkpoint of (instance, checkpoint id), or null.</summary>
    Task<CheckpointRecord?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>The unacknowledged instance-wide signal, if any.</summary>
    Task<PendingSignal?> GetPendingSignalAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>One page of instances matching <paramref name="query"/>.</summary>
    Task<Page<InstanceRecord>> ListInstancesAsync(InstanceQuery query, CancellationToken cancellationToken);

    /// <summary>One page of an instance's checkpoints (without their state) matching <paramref name="query"/>.</summary>
    Task<Page<CheckpointSummary>> ListCheckpointsAsync(CheckpointQuery query, CancellationToken cancellationToken);

    /// <summary>One page of an instance's events matching <paramref name="query"/>.</summary>
    Task<Page<EventRecord>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>One page of recorded step retry attempts matching <paramref name="query"/>.</summary>
    Task<Page<RetryAttemptRecord>> ListRetryAttemptsAsync(RetryAttemptQuery query, CancellationToken cancellationToken);

    /// <summary>Number of instances in each status (statuses with none are absent).</summary>
    Task<IReadOnlyDictionary<InstanceStatus, long>> CountInstancesByStatusAsync(CancellationToken cancellationToken);

    /// <summary>The earliest wake-up time (sleep or wait deadline) of a SUSPENDED instance, or null when none has one.</summary>
    Task<long?> GetNextWakeAtAsync(CancellationToken cancellationToken);

    /// <summary>The parent of a child instance; null for an instance nobody started as a child.</summary>
    Task<string?> GetParentIdAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The statuses of <paramref name="instanceIds"/>, in order (<see cref="InstanceStatus.Unknown"/> for a missing one).</summary>
    Task<IReadOnlyList<InstanceStatus>> GetStatusesAsync(IReadOnlyList<string> instanceIds, CancellationToken cancellationToken);

    /// <summary>True when the database answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// When writes began to fail for lack of disk space (<see cref="StorageFullException"/>); null
    /// while the last write outcome was anything else. Health reports Degraded while it is set.
    /// </summary>
    DateTimeOffset? OutOfSpaceSince { get; }
}

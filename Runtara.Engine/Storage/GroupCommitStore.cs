using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Microsoft.Extensions.Logging;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Threading;

namespace Runtara.Engine.Storage;

/// <summary>One write transaction of a backend, with tracking of whether the current operation wrote.</summary>
internal interface IWriteTransaction : IStoreWriter, IAsyncDisposable
{
    /// <summary>True when a write statement ran since <see cref="ResetWriteTracking"/>.</summary>
    bool HasWritten { get; }

    void ResetWriteTracking();

    /// <summary>Commits durably (fsync'd before it returns). Disposing without commit rolls back.</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The group-commit writer shared by both backends: a writer loop drains a queue of pending
/// operations, runs as many as are waiting (up to <see cref="StoreSettings.MaxBatchSize"/>) in one
/// transaction, commits once, and only then completes each caller. Every backend's commit is durable
/// when it returns (SQLite: WAL with <c>synchronous=FULL</c>; PostgreSQL: <c>synchronous_commit</c>
/// on), so one fsync covers the whole batch and throughput grows with concurrency while every
/// acknowledgement stays durable.
/// </summary>
internal abstract class GroupCommitStore : ICoreStore
{
    // Runs of one operation after a deadlock or serialization failure, the first included.
    private const int MaxTransientAttempts = 5;

    private readonly Channel<PendingWrite> _queue;
    private readonly StoreSettings _settings;

    // Wakes an idle writer thread straight from the caller's thread. Waiting on the channel instead
    // completes the writer's wait through the thread pool: one more thread hand-off in front of every
    // commit when the writer is idle (every step of a sequential workflow).
    private readonly SemaphoreSlim _wake = new(0);
    private int _idleWriters;
    private Task? _writers;
    private int _disposed;

    protected GroupCommitStore(StoreSettings settings, ILogger logger)
    {
        _settings = settings;
        Logger = logger;
        Space = new StorageSpace(logger);
        _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(settings.WriteQueueCapacity)
        {
            // Several PostgreSQL writers read the queue side by side.
            SingleReader = settings.Writers <= 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public abstract string Backend { get; }

    protected ILogger Logger { get; }

    /// <summary>Whether writes fail for lack of disk space.</summary>
    protected StorageSpace Space { get; }

    public DateTimeOffset? OutOfSpaceSince => Space.Since;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_writers is not null)
        {
            throw new InvalidOperationException("The store is already initialized.");
        }

        // Each writer has its own connection and commits durably on its own, so writers need no
        // coordination beyond the database's locks. SQLite is always given one (one write lock per file).
        var writers = Math.Max(1, _settings.Writers);

        await MigrateAsync(cancellationToken).ConfigureAwait(false);
        await OpenWriterAsync(cancellationToken).ConfigureAwait(false);

        // The writer owns a thread: its statements and fsyncs block (SQLite is synchronous under its
        // async API), and on a pool thread those waits would starve the RPC work sharing the pool.
        var stopped = new List<Task>();
        for (var writer = 0; writer < writers; writer++)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var index = writer;
            new Thread(() => RunWriter(index, done)) { IsBackground = true, Name = $"runtara-{Backend}-writer-{index}" }.Start();
            stopped.Add(done.Task);
        }

        _writers = Task.WhenAll(stopped);
    }

    public Task<T> WriteAsync<T>(string operation, Func<IStoreWriter, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return WriteAsync(operation, work, static (writer, work, token) => work(writer, token), cancellationToken).AsTask();
    }

    public ValueTask<T> WriteAsync<TState, T>(string operation, TState state, Func<IStoreWriter, TState, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(operation, state, work, static (result, _) => result, cancellationToken);

    public ValueTask<TAnswer> WriteAsync<TState, T, TAnswer>(
        string operation, TState state, Func<IStoreWriter, TState, CancellationToken, ValueTask<T>> work, Func<T, TState, TAnswer> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(answer);
        if (_writers is null)
        {
            return ValueTask.FromException<TAnswer>(new InvalidOperationException("The store is not initialized."));
        }

        // The span starts here, so it is a child of the RPC server span, and ends after the commit.
        // Its name is only built when someone listens.
        var activity = EngineTelemetry.Source.HasListeners() ? EngineTelemetry.Source.StartActivity($"storage {operation}", ActivityKind.Internal) : null;
        activity?.SetTag("db.system", Backend);
        activity?.SetTag("db.operation.name", operation);
        var pending = PendingWrite<TState, T, TAnswer>.Rent(operation, state, work, answer, activity);

        // Once queued the operation runs to its commit; a cancelled caller just stops waiting: its
        // token completes the pending write's wait (linked before the write is queued, so the writer
        // always finds the link to undo). The caller awaits the pending write itself, so a write that
        // is queued at once (the queue has room) costs no task and no state machine of its own.
        pending.LinkCancellation(cancellationToken);
        var queued = _queue.Writer.WriteAsync(pending, cancellationToken);
        if (!queued.IsCompletedSuccessfully)
        {
            return QueueWhenRoomAsync(queued, pending);
        }

        WakeWriter();
        return pending.Completion;
    }

    public abstract Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    public abstract Task<CheckpointRecord?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    public abstract Task<PendingSignal?> GetPendingSignalAsync(string instanceId, CancellationToken cancellationToken);

    public abstract Task<Page<InstanceRecord>> ListInstancesAsync(InstanceQuery query, CancellationToken cancellationToken);

    public abstract Task<Page<CheckpointSummary>> ListCheckpointsAsync(CheckpointQuery query, CancellationToken cancellationToken);

    public abstract Task<Page<EventRecord>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);

    public abstract Task<Page<RetryAttemptRecord>> ListRetryAttemptsAsync(RetryAttemptQuery query, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyDictionary<InstanceStatus, long>> CountInstancesByStatusAsync(CancellationToken cancellationToken);

    public abstract Task<bool> PingAsync(CancellationToken cancellationToken);

    public abstract Task<long?> GetNextWakeAtAsync(CancellationToken cancellationToken);

    public abstract Task<string?> GetParentIdAsync(string instanceId, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<InstanceStatus>> GetStatusesAsync(IReadOnlyList<string> instanceIds, CancellationToken cancellationToken);

    /// <summary>Drains queued writes (each still committed before it is acknowledged), then closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        if (_writers is not null)
        {
            _wake.Release(Math.Max(1, _settings.Writers));
            await _writers.ConfigureAwait(false);
        }

        // _wake is not disposed: a caller that queued just before the stop may still release it
        // (it holds no handle unless AvailableWaitHandle is read, which nothing does).
        await CloseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    protected abstract Task MigrateAsync(CancellationToken cancellationToken);

    private async ValueTask<TAnswer> QueueWhenRoomAsync<TState, T, TAnswer>(ValueTask queued, PendingWrite<TState, T, TAnswer> pending)
    {
        try
        {
            await queued.ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            pending.Abandon();
            throw new ObjectDisposedException(GetType().Name, "The store is shutting down.");
        }
        catch (OperationCanceledException)
        {
            pending.Abandon();
            throw;
        }

        WakeWriter();
        return await pending.Completion.ConfigureAwait(false);
    }

    /// <summary>After a write was queued: wakes an idle writer thread.</summary>
    private void WakeWriter()
    {
        // The fence orders the enqueue before the read of the idle count (see WaitForWork).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _idleWriters) > 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Prepares whatever the writer keeps open (SQLite: its connection and statements).</summary>
    protected abstract Task OpenWriterAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction on the connection of writer <paramref name="writer"/> (0-based).</summary>
    protected abstract ValueTask<IWriteTransaction> BeginWriteAsync(int writer, CancellationToken cancellationToken);

    protected abstract ValueTask CloseAsync();

    /// <summary>
    /// True when <paramref name="exception"/> means the disk is full. Backends add what only they can
    /// tell (SQLite: the errno behind an I/O error).
    /// </summary>
    protected virtual bool IsOutOfSpace(Exception exception) => StorageSpace.IsOutOfSpace(exception);

    /// <summary>
    /// True when the database rolled the transaction back only because of other transactions (a deadlock, a
    /// serialization failure), so running it again may succeed. Several writers — and several cores — on one
    /// PostgreSQL database lock the same rows in different orders now and then.
    /// </summary>
    protected virtual bool IsTransient(Exception exception) => false;

    /// <summary>Runs on the writer thread when a write failed for lack of disk space.</summary>
    protected virtual void OnWriteOutOfSpace()
    {
    }

    /// <summary>Runs on the writer thread after each committed transaction.</summary>
    protected virtual void OnBatchCommitted()
    {
    }

    private void RunWriter(int writer, TaskCompletionSource stopped)
    {
        var batch = new List<PendingWrite>(_settings.MaxBatchSize);
        try
        {
            // Blocking waits are deliberate here: this is the writer's own thread (see InitializeAsync).
            while (true)
            {
                while (batch.Count < _settings.MaxBatchSize && _queue.Reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }

                if (batch.Count == 0)
                {
                    if (_queue.Reader.Completion.IsCompleted)
                    {
                        break;
                    }

                    WaitForWork();
                    continue;
                }

                ExecuteBatchAsync(writer, batch).GetAwaiter().GetResult();
                batch.Clear();
            }

            stopped.TrySetResult();
        }
        catch (Exception ex)
        {
            stopped.TrySetException(ex);
        }
    }

    /// <summary>
    /// Blocks until a caller may have queued work. The writer announces itself idle before it looks
    /// at the queue once more, and a caller enqueues before it reads the idle count (both with full
    /// fences), so a write is never left unseen; a surplus release only costs one empty pass.
    /// </summary>
    private void WaitForWork()
    {
        Interlocked.Increment(ref _idleWriters);
        try
        {
            if (!_queue.Reader.TryPeek(out _) && !_queue.Reader.Completion.IsCompleted)
            {
                _wake.Wait();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _idleWriters);
        }
    }

    private async Task ExecuteBatchAsync(int writer, List<PendingWrite> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var token = CancellationToken.None;
        try
        {
            var transaction = await BeginWriteAsync(writer, token).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                foreach (var pending in batch)
                {
                    await RunAsync(pending, transaction, token).ConfigureAwait(false);
                }

                // Durable when it returns: one fsync for every operation of the batch.
                await transaction.CommitAsync(token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Something other than a clean rejection: nothing of this batch is stored. Re-run each
            // operation in its own transaction so only the culprit fails (and, on a full disk, so
            // smaller transactions may still fit; that episode is logged once, not per batch).
            if (!IsOutOfSpace(ex))
            {
                Log.BatchFailed(Logger, batch.Count, ex);
            }

            foreach (var pending in batch)
            {
                await ExecuteAloneAsync(writer, pending).ConfigureAwait(false);
            }

            return;
        }

        Acknowledge(batch, started);
        Space.OnCommitted();
        OnBatchCommitted();
    }

    /// <summary>Completes the callers of a committed (hence durable) transaction and records its size and duration.</summary>
    private static void Acknowledge(IReadOnlyList<PendingWrite> operations, long startedTimestamp)
    {
        EngineTelemetry.BatchSize.Record(operations.Count);
        EngineTelemetry.CommitDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
        foreach (var pending in operations)
        {
            pending.Complete(operations.Count);
        }
    }

    private async Task ExecuteAloneAsync(int writer, PendingWrite pending)
    {
        for (var attempt = 1; ; attempt++)
        {
            pending.Reset();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var transaction = await BeginWriteAsync(writer, CancellationToken.None).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await RunAsync(pending, transaction, CancellationToken.None).ConfigureAwait(false);
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }

                Acknowledge([pending], started);
                Space.OnCommitted();
                OnBatchCommitted();
                return;
            }
            catch (Exception ex) when (attempt < MaxTransientAttempts && IsTransient(ex))
            {
                // Nothing of it was stored; a short random pause lets the other transaction finish first.
                Log.TransientRetry(Logger, pending.Operation, attempt, ex.Message);
                await Task.Delay(Random.Shared.Next(1, 10 * attempt)).ConfigureAwait(false);
            }
            catch (CoreException ex)
            {
                pending.Fail(ex);
                return;
            }
            catch (Exception ex) when (IsOutOfSpace(ex))
            {
                pending.Fail(Space.OnFull(pending.Operation, ex));
                OnWriteOutOfSpace();
                return;
            }
            catch (Exception ex)
            {
                Log.OperationFailed(Logger, pending.Operation, ex);
                pending.Fail(new StorageException(pending.Operation, ex));
                return;
            }
        }
    }

    private static async ValueTask RunAsync(PendingWrite pending, IWriteTransaction transaction, CancellationToken token)
    {
        transaction.ResetWriteTracking();
        try
        {
            await pending.RunAsync(transaction, token).ConfigureAwait(false);
        }
        catch (CoreException ex) when (!transaction.HasWritten)
        {
            // A rule said no before anything was written: the rest of the batch is unaffected.
            pending.Reject(ex);
        }
    }

    /// <summary>A queued unit of work and its caller's completion.</summary>
    private abstract class PendingWrite
    {
        public string Operation { get; protected set; } = string.Empty;

        protected Activity? Activity { get; set; }

        public abstract ValueTask RunAsync(IStoreWriter writer, CancellationToken cancellationToken);

        public abstract void Reject(Exception exception);

        public abstract void Reset();

        public abstract void Complete(int batchSize);

        public abstract void Fail(Exception exception);
    }

    /// <summary>
    /// A write and its caller's wait, which it completes itself (no task): awaited once, by the caller
    /// or by <see cref="QueueWhenRoomAsync"/>. The writer's result and the caller's cancellation race
    /// to settle it; the first wins. The caller's answer is made from the committed result when the
    /// caller takes it, on the caller's thread, not the writer's.
    /// </summary>
    /// <remarks>
    /// Pooled: every checkpoint makes one. It goes back to the pool once all that hold it let go: the
    /// writer (when it settled it, or when it was never queued), the caller (when it took the result),
    /// and a linked cancellation (when its callback ran, or could no longer run). A caller that never
    /// takes the result leaves it to the collector. A stale await of a reused one fails (the version).
    /// </remarks>
    private sealed class PendingWrite<TState, T, TAnswer> : PendingWrite, IValueTaskSource<TAnswer>
    {
        private const int PoolLimit = 1024;
        private static readonly ConcurrentQueue<PendingWrite<TState, T, TAnswer>> Pool = new();
        private static int s_pooled;

        private FirstWinsValueTaskSourceCore<T> _completion = new();
        private CancellationTokenRegistration _cancellation;
        private bool _linked;
        private int _holders;
        private TState _state = default!;
        private Func<IStoreWriter, TState, CancellationToken, ValueTask<T>> _work = null!;
        private Func<T, TState, TAnswer> _answer = null!;
        private T? _result;
        private Exception? _rejection;

        private PendingWrite()
        {
        }

        public ValueTask<TAnswer> Completion => new(this, _completion.Version);

        public static PendingWrite<TState, T, TAnswer> Rent(
            string operation, TState state, Func<IStoreWriter, TState, CancellationToken, ValueTask<T>> work, Func<T, TState, TAnswer> answer, Activity? activity)
        {
            if (Pool.TryDequeue(out var pending))
            {
                Interlocked.Decrement(ref s_pooled);
            }
            else
            {
                pending = new PendingWrite<TState, T, TAnswer>();
            }

            pending.Operation = operation;
            pending.Activity = activity;
            pending._state = state;
            pending._work = work;
            pending._answer = answer;
            pending._holders = 2; // the writer and the caller
            return pending;
        }

        /// <summary>Lets <paramref name="cancellationToken"/> end the caller's wait (the write itself still runs).</summary>
        public void LinkCancellation(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                // Held by the callback too, before it can run (at once, for a cancelled token).
                Interlocked.Increment(ref _holders);
                _linked = true;
                _cancellation = cancellationToken.UnsafeRegister(
                    static (state, token) =>
                    {
                        var pending = (PendingWrite<TState, T, TAnswer>)state!;
                        pending._completion.TrySetException(new OperationCanceledException(token));
                        pending.Release();
                    },
                    this);
            }
        }

        /// <summary>The write was never queued: unlink, end the span, and let go as the writer.</summary>
        public void Abandon()
        {
            Unlink();
            Activity?.Dispose();
            Release();
        }

        public override async ValueTask RunAsync(IStoreWriter writer, CancellationToken cancellationToken) =>
            _result = await _work(writer, _state, cancellationToken).ConfigureAwait(false);

        public override void Reject(Exception exception) => _rejection = exception;

        public override void Reset()
        {
            _result = default;
            _rejection = null;
        }

        public override void Complete(int batchSize)
        {
            Activity?.SetTag("runtara.storage.batch_size", batchSize);
            if (_rejection is not null)
            {
                Fail(_rejection);
                return;
            }

            Activity?.Dispose();
            Unlink();
            _completion.TrySetResult(_result!);
            Release();
        }

        public override void Fail(Exception exception)
        {
            if (Activity is not null)
            {
                Activity.SetStatus(ActivityStatusCode.Error, exception is RuntaraException runtara ? runtara.Code : exception.GetType().Name);
                Activity.Dispose();
            }

            Unlink();
            _completion.TrySetException(exception);
            Release();
        }

        TAnswer IValueTaskSource<TAnswer>.GetResult(short token)
        {
            try
            {
                return _answer(_completion.GetResult(token), _state);
            }
            finally
            {
                Release();
            }
        }

        ValueTaskSourceStatus IValueTaskSource<TAnswer>.GetStatus(short token) => _completion.GetStatus(token);

        void IValueTaskSource<TAnswer>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _completion.OnCompleted(continuation, state, token, flags);

        /// <summary>Unregisters the cancellation; when its callback can no longer run, lets go for it.</summary>
        private void Unlink()
        {
            // Unregister, not Dispose: it must not wait for a cancellation callback running elsewhere.
            if (_linked && _cancellation.Unregister())
            {
                Release();
            }

            _linked = false;
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref _holders) != 0)
            {
                return;
            }

            _completion.Reset();
            _cancellation = default;
            _state = default!;
            _work = null!;
            _answer = null!;
            _result = default;
            _rejection = null;
            Activity = null;
            if (Interlocked.Increment(ref s_pooled) <= PoolLimit)
            {
                Pool.Enqueue(this);
            }
            else
            {
                Interlocked.Decrement(ref s_pooled);
            }
        }
    }
}

/// <summary>Settings of the group-commit writer.</summary>
public sealed record StoreSettings(int MaxBatchSize, int WriteQueueCapacity, int Writers = 1);

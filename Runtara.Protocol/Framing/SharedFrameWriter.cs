namespace Runtara.Protocol.Framing;

/// <summary>
/// A <see cref="FrameWriter"/> shared by the exchanges of a multiplexed connection: each writes its
/// frames whole under a lock, and a writer that sees another one waiting leaves the flush to it, so
/// the answers (or requests) of concurrent exchanges leave in one send and one TLS record. While
/// <see cref="Cork"/>ed (a server's read loop has more requests of a burst in hand) nothing is flushed
/// until <see cref="UncorkAsync"/>, or until <see cref="MaxHeldBytes"/> are held. Waiting for the lock
/// cannot be cancelled: a writer that left the flush to one that then gave up would leave its frame
/// unsent. The token cancels the write itself, which breaks the connection.
/// </summary>
/// <remarks>
/// Given <c>flushFailed</c>, a write asked to defer its flush leaves it to a work item queued on the thread
/// pool's global queue instead: behind the work already waiting there, typically the other callers that a
/// commit or an answer completed at the same moment, whose frames then leave in the same send. A flush that
/// fails there has no caller left to tell: <c>flushFailed</c> breaks the connection.
/// </remarks>
internal sealed class SharedFrameWriter(FrameWriter writer, Action<Exception>? flushFailed = null) : IThreadPoolWorkItem
{
    /// <summary>The most held back (corked, or left to a waiting writer): a client that floods requests without reading answers cannot make the server buffer more.</summary>
    internal const int MaxHeldBytes = 64 * 1024;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private int _waiting;
    private volatile bool _corked;

    // Frames written and not flushed yet, and whether a deferred flush is queued; guarded by _lock.
    private bool _unflushed;
    private bool _flushQueued;

    /// <summary>True while flushes are held back.</summary>
    public bool IsCorked => _corked;

    /// <summary>Writes <paramref name="message"/> as one frame of <paramref name="type"/>, flushed now or by the writer (or uncork) that follows.</summary>
    /// <param name="type">The frame's type.</param>
    /// <param name="message">The frame's payload.</param>
    /// <param name="deferFlush">
    /// Leave the flush to a queued work item (see the remarks; only with <c>flushFailed</c>): for a caller that
    /// knows other frames are likely to follow at once, e.g. one of several exchanges in flight. A lone
    /// exchange flushes at once, so a sequential caller pays no thread-pool hop.
    /// </param>
    /// <param name="cancellationToken">Cancels the write itself, which breaks the connection.</param>
    public ValueTask WriteAsync(FrameType type, Google.Protobuf.IMessage message, bool deferFlush, CancellationToken cancellationToken)
    {
        // Uncontended, with a flush the socket takes at once: no state machine and no lock waiter.
        if (!_lock.Wait(0))
        {
            return WriteInTurnAsync(type, message, deferFlush, cancellationToken);
        }

        ValueTask flushing;
        try
        {
            flushing = WriteHeld(type, message, deferFlush, cancellationToken);
            if (!flushing.IsCompletedSuccessfully)
            {
                return ReleaseAfterAsync(flushing);
            }
        }
        catch
        {
            _lock.Release();
            throw;
        }

        _lock.Release();
        flushing.GetAwaiter().GetResult();
        return default;
    }

    /// <summary>Runs <paramref name="write"/> alone on the writer (e.g. a streamed answer); it flushes what it writes.</summary>
    public async ValueTask WriteAsync<TState>(Func<FrameWriter, TState, CancellationToken, ValueTask> write, TState state, CancellationToken cancellationToken)
    {
        await WaitForTurnAsync().ConfigureAwait(false);
        TookTurn();
        try
        {
            await write(writer, state, cancellationToken).ConfigureAwait(false);
            _unflushed = false;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Holds back flushes: frames written from now on wait for <see cref="UncorkAsync"/> (or a streamed answer).</summary>
    public void Cork() => _corked = true;

    /// <summary>Flushes what was held back and lets writers flush again.</summary>
    public async ValueTask UncorkAsync(CancellationToken cancellationToken)
    {
        await WaitForTurnAsync().ConfigureAwait(false);
        TookTurn();
        try
        {
            _corked = false;
            if (_unflushed)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary><see cref="WriteAsync(FrameType, Google.Protobuf.IMessage, bool, CancellationToken)"/> behind the writers ahead of it.</summary>
    private async ValueTask WriteInTurnAsync(FrameType type, Google.Protobuf.IMessage message, bool deferFlush, CancellationToken cancellationToken)
    {
        await WaitForTurnAsync().ConfigureAwait(false);
        TookTurn();
        try
        {
            await WriteHeld(type, message, deferFlush, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Writes the frame while holding the lock, and flushes unless corked or another writer waits to flush
    /// after it; asked to defer, queues the flush (once) instead.
    /// </summary>
    private ValueTask WriteHeld(FrameType type, Google.Protobuf.IMessage message, bool deferFlush, CancellationToken cancellationToken)
    {
        writer.Write(type, message);
        _unflushed = true;
        if (writer.UnflushedBytes >= MaxHeldBytes)
        {
            return FlushAsync(cancellationToken);
        }

        if (_corked || Volatile.Read(ref _waiting) != 0)
        {
            return default;
        }

        if (!deferFlush || flushFailed is null)
        {
            return FlushAsync(cancellationToken);
        }

        if (!_flushQueued)
        {
            _flushQueued = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return default;
    }

    /// <summary>The deferred flush (see the remarks): whatever was written since, in one send.</summary>
    void IThreadPoolWorkItem.Execute() => _ = FlushQueuedAsync();

    /// <summary>Completes without a state machine on the heap when the lock is free and the socket takes the bytes at once.</summary>
    private async Task FlushQueuedAsync()
    {
        if (!_lock.Wait(0))
        {
            await WaitForTurnAsync().ConfigureAwait(false);
            TookTurn();
        }

        try
        {
            _flushQueued = false;

            // Corked: the uncork flushes. Nothing unflushed: a writer after the queuing flushed it already.
            if (_unflushed && !_corked)
            {
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            flushFailed!(ex);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async ValueTask ReleaseAfterAsync(ValueTask flushing)
    {
        try
        {
            await flushing.ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    private ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = false;
        return writer.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Waits for the lock, counted as waiting so the holder leaves its flush to this writer. Not async
    /// (the caller's state machine does the waiting); the caller calls <see cref="TookTurn"/> at once
    /// after, before it looks at the count itself.
    /// </summary>
    private Task WaitForTurnAsync()
    {
        Interlocked.Increment(ref _waiting);
        return _lock.WaitAsync(CancellationToken.None);
    }

    private void TookTurn() => Interlocked.Decrement(ref _waiting);
}

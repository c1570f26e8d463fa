namespace Runtara.Protocol.Framing;

/// <summary>
/// A <see cref="FrameWriter"/> shared by the exchanges of a multiplexed connection: each writes its
/// frames whole under a lock, and a writer that sees another one waiting leaves the flush to it, so
/// the answers (or requests) of concurrent exchanges leave in one send and one TLS record. Waiting
/// for the lock cannot be cancelled: a writer that left the flush to one that then gave up would
/// leave its frame unsent. The token cancels the write itself, which breaks the connection.
/// </summary>
internal sealed class SharedFrameWriter(FrameWriter writer)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private int _waiting;

    /// <summary>Writes <paramref name="message"/> as one frame of <paramref name="type"/>, flushed now or by the writer that follows.</summary>
    public async ValueTask WriteAsync(FrameType type, Google.Protobuf.IMessage message, CancellationToken cancellationToken)
    {
        await EnterAsync().ConfigureAwait(false);
        try
        {
            writer.Write(type, message);
            if (Volatile.Read(ref _waiting) == 0)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Runs <paramref name="write"/> alone on the writer (e.g. a streamed answer); it flushes what it writes.</summary>
    public async ValueTask WriteAsync<TState>(Func<FrameWriter, TState, CancellationToken, ValueTask> write, TState state, CancellationToken cancellationToken)
    {
        await EnterAsync().ConfigureAwait(false);
        try
        {
            await write(writer, state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async ValueTask EnterAsync()
    {
        Interlocked.Increment(ref _waiting);
        await _lock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        Interlocked.Decrement(ref _waiting);
    }
}

using Runtara.Protocol.Framing;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// Server side of a TCP or Unix-socket connection whose client multiplexes it (docs/protocol.md
/// "Multiplexed exchanges"): the exchanges running at once, at most <c>maxInFlight</c> (the reader
/// stops reading beyond that), their shared writer, and a wait for all of them to have answered,
/// which anything answered in turn (an upload, a one-way request, an Error frame) and the
/// connection's end wait for. Only the connection's read loop starts exchanges and drains.
/// </summary>
internal sealed class MultiplexedExchanges(IRpcStream stream, int maxInFlight)
{
    private SemaphoreSlim? _slots;
    private SharedFrameWriter? _writer;
    private int _inFlight;
    private TaskCompletionSource? _drained;

    /// <summary>The writer the exchanges' answers share (made on first use: most connections never multiplex).</summary>
    public SharedFrameWriter Writer => _writer ??= new SharedFrameWriter(stream.Writer, _ => stream.Abort());

    /// <summary>The exchanges started and not answered yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Counts an exchange about to start; waits while <c>maxInFlight</c> run.</summary>
    public async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        _slots ??= new SemaphoreSlim(maxInFlight, maxInFlight);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _inFlight);
    }

    /// <summary>Counts an exchange that answered (or failed).</summary>
    public void Exit()
    {
        _slots!.Release();
        if (Interlocked.Decrement(ref _inFlight) == 0)
        {
            Volatile.Read(ref _drained)?.TrySetResult();
        }
    }

    /// <summary>
    /// Before the read loop waits for the next request: unless one is buffered already, sends the
    /// answers held back while the requests of a burst were read (see <see cref="Start"/>).
    /// </summary>
    public ValueTask BeforeReadAsync(CancellationToken cancellationToken) =>
        _writer is { IsCorked: true } writer && !stream.Reader.HasBufferedFrame()
            ? writer.UncorkAsync(cancellationToken)
            : ValueTask.CompletedTask;

    /// <summary>
    /// Holds back the flushes of answers while the read loop starts an exchange: one that answers at
    /// once (in the read loop itself) leaves with the answers to the other requests of its burst.
    /// </summary>
    public void Start() => Writer.Cork();

    /// <summary>Waits for every exchange started to answer, then sends what is held back; at the connection's end.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await DrainAsync().ConfigureAwait(false);
        if (_writer is { } writer)
        {
            try
            {
                await writer.UncorkAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The connection is gone; so is whoever would have read the answers.
            }
        }
    }

    /// <summary>Completes once every exchange started has answered.</summary>
    public Task DrainAsync()
    {
        if (Volatile.Read(ref _inFlight) == 0)
        {
            return Task.CompletedTask;
        }

        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);

        // The last exchange may have ended before the source was published.
        return Volatile.Read(ref _inFlight) == 0 ? Task.CompletedTask : drained.Task;
    }
}

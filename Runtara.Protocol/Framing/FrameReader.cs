using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Runtara.Protocol.Framing;

/// <summary>
/// Reads frames from a <see cref="PipeReader"/> without copying: the returned payload points into
/// the pipe's pooled buffers until the next call. The length is checked before the payload is
/// buffered, so an oversize announcement never allocates. The reads' state machines are pooled (each
/// read waits for the network, so an ordinary async method would allocate one per frame): await each
/// returned task once.
/// </summary>
public sealed class FrameReader
{
    private readonly PipeReader _reader;
    private int _maxPayloadSize;
    private SequencePosition _consumed;
    private bool _holdsFrame;

    /// <summary>Creates a reader over <paramref name="reader"/>.</summary>
    /// <param name="reader">The pipe the frames arrive on.</param>
    /// <param name="maxPayloadSize">The largest payload accepted, in bytes; a larger announcement fails with <see cref="FrameError.FrameTooLarge"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPayloadSize"/> is zero or negative.</exception>
    public FrameReader(PipeReader reader, int maxPayloadSize = FrameCodec.DefaultMaxPayloadSize)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPayloadSize);
        _reader = reader;
        _maxPayloadSize = maxPayloadSize;
    }

    /// <summary>
    /// The largest payload this reader accepts; a server lowers it until a connection has authenticated
    /// (<c>RpcServerOptions.MaxUnauthenticatedFrameSize</c>). Takes effect at the next frame.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int MaxPayloadSize
    {
        get => _maxPayloadSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxPayloadSize = value;
        }
    }

    /// <summary>
    /// Reads the next frame. Returns <c>null</c> when the stream ends cleanly at a frame boundary.
    /// Throws <see cref="FrameException"/> for oversize or truncated frames and for unknown types
    /// (the latter after consuming the frame, so the stream stays usable).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        Release();
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;

            FrameHeader header;
            bool hasHeader;
            try
            {
                hasHeader = FrameCodec.TryReadHeader(buffer, _maxPayloadSize, out header);
            }
            catch (FrameException)
            {
                // Oversize announcement: give the buffer back untouched; the stream is out of sync.
                _reader.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }

            if (hasHeader)
            {
                long frameLength = FrameCodec.HeaderSize + (long)header.PayloadLength;
                if (buffer.Length >= frameLength)
                {
                    var end = buffer.GetPosition(frameLength);
                    if (!FrameCodec.IsDefined(header.RawType))
                    {
                        _reader.AdvanceTo(end);
                        throw new FrameException(
                            FrameError.InvalidMessageType,
                            $"invalid message type: {header.RawType}",
                            recoverable: true,
                            declaredLength: header.PayloadLength);
                    }

                    _consumed = end;
                    _holdsFrame = true;
                    return new Frame((FrameType)header.RawType, buffer.Slice(FrameCodec.HeaderSize, header.PayloadLength));
                }
            }

            if (result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                if (buffer.IsEmpty)
                {
                    return null;
                }

                throw buffer.Length < FrameCodec.HeaderSize
                    ? new FrameException(FrameError.IncompleteHeader, "incomplete frame header")
                    : new FrameException(FrameError.IncompletePayload, "incomplete frame payload", declaredLength: header.PayloadLength);
            }

            if (result.IsCanceled)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);

                // Not this read's token: a cancellation that reached the pipe from elsewhere (a late
                // deadline of an earlier exchange on the same connection). The connection cannot be
                // trusted any more; as a transport failure the call is retried on a fresh one.
                cancellationToken.ThrowIfCancellationRequested();
                throw new IOException("The frame read was cancelled from outside the call; the connection is dropped.");
            }

            // Nothing consumed, everything examined: wake up when more bytes arrive.
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Waits until at least one byte is available or the stream ends; false at a clean end.
    /// Used to park idle connections without consuming anything.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitForDataAsync(CancellationToken cancellationToken)
    {
        Release();
        var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var hasData = !result.Buffer.IsEmpty;
        _reader.AdvanceTo(result.Buffer.Start, hasData ? result.Buffer.Start : result.Buffer.End);
        return hasData || !result.IsCompleted;
    }

    /// <summary>
    /// True when a whole frame (or an oversize announcement) is buffered already, so the next
    /// <see cref="ReadAsync"/> completes without waiting; never waits itself.
    /// </summary>
    internal bool HasBufferedFrame()
    {
        Release();
        if (!_reader.TryRead(out var result))
        {
            return false;
        }

        var buffer = result.Buffer;
        bool whole;
        try
        {
            whole = FrameCodec.TryReadHeader(buffer, _maxPayloadSize, out var header)
                && buffer.Length >= FrameCodec.HeaderSize + (long)header.PayloadLength;
        }
        catch (FrameException)
        {
            whole = true;
        }

        // Nothing consumed or examined: the next read sees the same bytes at once (a partial frame then
        // waits for its rest under the caller's read timeout, as before this look).
        _reader.AdvanceTo(buffer.Start, buffer.Start);
        return whole || result.IsCompleted;
    }

    /// <summary>Gives the buffer of the last returned frame back to the pipe.</summary>
    public void Release()
    {
        if (_holdsFrame)
        {
            _holdsFrame = false;
            _reader.AdvanceTo(_consumed);
        }
    }
}

using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace Runtara.Protocol.Framing;

/// <summary>
/// Writes frames into a <see cref="PipeWriter"/>: the header and the serialized message go straight
/// into the pipe's pooled memory, so no per-frame array is allocated.
/// </summary>
public sealed class FrameWriter
{
    private readonly PipeWriter _writer;
    private readonly int _maxPayloadSize;

    /// <summary>Creates a writer into <paramref name="writer"/>.</summary>
    /// <param name="writer">The pipe the frames are written to.</param>
    /// <param name="maxPayloadSize">The largest payload written, in bytes; a larger message fails with <see cref="FrameError.FrameTooLarge"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPayloadSize"/> is zero or negative.</exception>
    public FrameWriter(PipeWriter writer, int maxPayloadSize = FrameCodec.DefaultMaxPayloadSize)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPayloadSize);
        _writer = writer;
        _maxPayloadSize = maxPayloadSize;
    }

    /// <summary>The largest payload this writer produces.</summary>
    public int MaxPayloadSize => _maxPayloadSize;

    /// <summary>Bytes written and not flushed yet (0 where the pipe cannot tell).</summary>
    internal long UnflushedBytes => _writer.CanGetUnflushedBytes ? _writer.UnflushedBytes : 0;

    /// <summary>Buffers one frame holding a protobuf message; call <see cref="FlushAsync"/> to send.</summary>
    public void Write(FrameType type, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        FrameCodec.EnsurePayloadSize(size, _maxPayloadSize);
        var header = _writer.GetSpan(FrameCodec.HeaderSize);
        FrameCodec.WriteHeader(header, type, size);
        _writer.Advance(FrameCodec.HeaderSize);
        if (size > 0)
        {
            message.WriteTo(_writer);
        }
    }

    /// <summary>Buffers one frame holding raw bytes.</summary>
    public void Write(FrameType type, ReadOnlySpan<byte> payload)
    {
        FrameCodec.EnsurePayloadSize(payload.Length, _maxPayloadSize);
        var span = _writer.GetSpan(FrameCodec.HeaderSize + payload.Length);
        FrameCodec.WriteHeader(span, type, payload.Length);
        payload.CopyTo(span[FrameCodec.HeaderSize..]);
        _writer.Advance(FrameCodec.HeaderSize + payload.Length);
    }

    /// <summary>Sends everything buffered so far.</summary>
    /// <remarks>A QUIC write completes only when msquic reports it sent, so the wait is pooled (no allocation per frame).</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        var result = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            // As for reads (FrameReader): a cancellation this call did not ask for means a broken connection.
            cancellationToken.ThrowIfCancellationRequested();
            throw new IOException("The frame write was cancelled from outside the call; the connection is dropped.");
        }
    }
}

using System.Buffers;
using Runtara.Protocol.Framing;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// Reads a streamed body: StreamData frames until StreamEnd. Reading past the end returns 0.
/// </summary>
internal sealed class FramedBodyReadStream(FrameReader reader) : Stream
{
    private ReadOnlySequence<byte> _current;
    private bool _ended;

    /// <summary>True once StreamEnd has been read.</summary>
    public bool Completed => _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            if (_ended)
            {
                return 0;
            }

            var frame = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new IOException("The stream ended before the StreamEnd frame of the body.");
            switch (frame.Type)
            {
                case FrameType.StreamData:
                    _current = frame.Payload;
                    break;
                case FrameType.StreamEnd:
                    _ended = true;
                    reader.Release();
                    break;
                default:
                    throw new RpcException(RpcErrorCodes.UnexpectedFrame, $"expected a StreamData or StreamEnd frame in the body, got {frame.Type}");
            }
        }

        var count = (int)Math.Min(buffer.Length, _current.Length);
        _current.Slice(0, count).CopyTo(buffer.Span);
        _current = _current.Slice(count);
        if (_current.IsEmpty)
        {
            reader.Release();
        }

        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Read the body asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Writes a streamed body: every write becomes StreamData frames of at most <see cref="ChunkSize"/> bytes.</summary>
internal sealed class FramedBodyWriteStream(FrameWriter writer) : Stream
{
    /// <summary>Largest StreamData payload written.</summary>
    public const int ChunkSize = 64 * 1024;

    public long BytesWritten { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var chunk = buffer[..Math.Min(ChunkSize, buffer.Length)];
            writer.Write(FrameType.StreamData, chunk.Span);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            BytesWritten += chunk.Length;
            buffer = buffer[chunk.Length..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Write the body asynchronously.");

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

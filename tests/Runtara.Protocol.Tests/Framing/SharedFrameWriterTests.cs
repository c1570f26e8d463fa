using System.IO.Pipelines;
using Google.Protobuf;
using Runtara.Protocol.Framing;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Framing;

public sealed class SharedFrameWriterTests
{
    private static Inst.RpcResponse Answer(int size) =>
        new() { Checkpoint = new Inst.CheckpointResponse { State = ByteString.CopyFrom(new byte[size]) } };

    [Fact]
    public async Task A_corked_writer_sends_nothing_until_uncorked()
    {
        var pipe = new Pipe();
        var writer = new SharedFrameWriter(new FrameWriter(pipe.Writer));

        writer.Cork();
        await writer.WriteAsync(FrameType.Response, Answer(100), deferFlush: false, CancellationToken.None);
        await writer.WriteAsync(FrameType.Response, Answer(100), deferFlush: false, CancellationToken.None);
        var heldBack = pipe.Reader.TryRead(out _);
        await writer.UncorkAsync(CancellationToken.None);
        var sent = pipe.Reader.TryRead(out var result);

        Assert.False(heldBack);
        Assert.True(sent);
        Assert.Equal(2 * (FrameCodec.HeaderSize + Answer(100).CalculateSize()), result.Buffer.Length);
    }

    [Fact]
    public async Task A_corked_writer_holds_back_at_most_its_limit()
    {
        // A client flooding requests without reading answers must not make the server buffer them all.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var writer = new SharedFrameWriter(new FrameWriter(pipe.Writer));
        var frame = FrameCodec.HeaderSize + Answer(1024).CalculateSize();

        writer.Cork();
        var held = new List<long>();
        for (var i = 0; i < 200; i++)
        {
            await writer.WriteAsync(FrameType.Response, Answer(1024), deferFlush: false, CancellationToken.None);
            held.Add(pipe.Writer.UnflushedBytes);
        }

        Assert.All(held, bytes => Assert.True(bytes < SharedFrameWriter.MaxHeldBytes + frame, $"{bytes} bytes held back"));
        Assert.True(pipe.Reader.TryRead(out var sent) && sent.Buffer.Length >= SharedFrameWriter.MaxHeldBytes);
    }

    [Fact]
    public async Task Deferred_writes_leave_the_flush_to_a_queued_item_that_sends_them_without_a_later_write()
    {
        var pipe = new Pipe();
        var connection = new FlushRecordingWriter(pipe.Writer);
        var writer = new SharedFrameWriter(new FrameWriter(connection), ex => Assert.Fail($"flush failed: {ex}"));

        for (var i = 0; i < 3; i++)
        {
            // Completes without flushing on the writing thread: the flush is queued instead (a queued
            // item may flush on another thread meanwhile; that one is not counted).
            FlushRecordingWriter.Writing = true;
            var write = writer.WriteAsync(FrameType.Response, Answer(100), deferFlush: true, CancellationToken.None);
            FlushRecordingWriter.Writing = false;
            Assert.True(write.IsCompletedSuccessfully);
        }

        Assert.Equal(0, connection.FlushesInsideWrites);

        // Nothing else is written: the queued flush alone sends all three (in one or more flushes).
        var expected = 3 * (FrameCodec.HeaderSize + Answer(100).CalculateSize());
        long received = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received < expected)
        {
            var read = await pipe.Reader.ReadAsync(timeout.Token);
            received += read.Buffer.Length;
            pipe.Reader.AdvanceTo(read.Buffer.End);
        }

        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task A_write_not_deferred_or_without_a_failure_handler_is_flushed_before_it_returns()
    {
        var pipe = new Pipe();
        var handled = new SharedFrameWriter(new FrameWriter(pipe.Writer), _ => { });
        await handled.WriteAsync(FrameType.Response, Answer(10), deferFlush: false, CancellationToken.None);
        Assert.True(pipe.Reader.TryRead(out var first));
        pipe.Reader.AdvanceTo(first.Buffer.End);

        // No one to tell of a failed deferred flush: the writer flushes at once.
        var unhandled = new SharedFrameWriter(new FrameWriter(pipe.Writer));
        await unhandled.WriteAsync(FrameType.Response, Answer(10), deferFlush: true, CancellationToken.None);
        Assert.True(pipe.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_deferred_flush_that_fails_is_reported_to_break_the_connection()
    {
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new SharedFrameWriter(new FrameWriter(new FailingFlushWriter()), ex => failed.TrySetResult(ex));

        await writer.WriteAsync(FrameType.Response, Answer(10), deferFlush: true, CancellationToken.None);

        var error = await failed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<IOException>(error);
    }

    /// <summary>A connection that counts the flushes made on a thread while it is inside a write.</summary>
    private sealed class FlushRecordingWriter(PipeWriter inner) : PipeWriter
    {
        [ThreadStatic]
        public static bool Writing;

        private int _flushesInsideWrites;

        public int FlushesInsideWrites => Volatile.Read(ref _flushesInsideWrites);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (Writing)
            {
                Interlocked.Increment(ref _flushesInsideWrites);
            }

            return inner.FlushAsync(cancellationToken);
        }
    }

    /// <summary>A connection whose sends fail (reset by the peer, say).</summary>
    private sealed class FailingFlushWriter : PipeWriter
    {
        private readonly byte[] _buffer = new byte[64 * 1024];

        public override void Advance(int bytes)
        {
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

        public override Span<byte> GetSpan(int sizeHint = 0) => _buffer;

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromException<FlushResult>(new IOException("Connection reset by peer"));
    }
}

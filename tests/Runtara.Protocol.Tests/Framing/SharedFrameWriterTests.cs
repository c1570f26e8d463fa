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
        await writer.WriteAsync(FrameType.Response, Answer(100), CancellationToken.None);
        await writer.WriteAsync(FrameType.Response, Answer(100), CancellationToken.None);
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
            await writer.WriteAsync(FrameType.Response, Answer(1024), CancellationToken.None);
            held.Add(pipe.Writer.UnflushedBytes);
        }

        Assert.All(held, bytes => Assert.True(bytes < SharedFrameWriter.MaxHeldBytes + frame, $"{bytes} bytes held back"));
        Assert.True(pipe.Reader.TryRead(out var sent) && sent.Buffer.Length >= SharedFrameWriter.MaxHeldBytes);
    }
}

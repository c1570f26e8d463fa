using System.Buffers;
using System.IO.Pipelines;
using CsCheck;
using Google.Protobuf;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Framing;

public sealed class FrameReaderTests
{
    private static readonly Gen<(FrameType Type, byte[] Payload)> FrameGen =
        Gen.Select(Gen.Int[1, 6], Gen.Byte.Array[0, 300], (t, p) => ((FrameType)t, p));

    [Fact]
    public async Task Random_frames_round_trip_through_writer_and_reader()
    {
        await FrameGen.List[1, 8].SampleAsync(async frames =>
        {
            var pipe = new Pipe();
            var writer = new FrameWriter(pipe.Writer);
            foreach (var (type, payload) in frames)
            {
                writer.Write(type, payload);
            }

            await writer.FlushAsync();
            await pipe.Writer.CompleteAsync();

            var read = await ReadAllAsync(pipe.Reader);
            Assert.Equal(frames.Count, read.Count);
            for (var i = 0; i < frames.Count; i++)
            {
                Assert.Equal(frames[i].Type, read[i].Type);
                Assert.Equal(frames[i].Payload, read[i].Payload);
            }
        }, iter: 500);
    }

    [Fact]
    public async Task A_frame_split_at_every_byte_boundary_is_reassembled()
    {
        await FrameGen.List[1, 3].SampleAsync(async frames =>
        {
            var bytes = frames.SelectMany(f => FrameCodec.Encode(f.Type, f.Payload)).ToArray();
            for (var split = 0; split <= bytes.Length; split++)
            {
                var pipe = new Pipe();
                var readTask = ReadAllAsync(pipe.Reader);
                await pipe.Writer.WriteAsync(bytes.AsMemory(0, split));
                await pipe.Writer.WriteAsync(bytes.AsMemory(split));
                await pipe.Writer.CompleteAsync();

                var read = await readTask;
                Assert.Equal(frames.Select(f => (f.Type, f.Payload)), read.Select(r => (r.Type, r.Payload)), new FrameComparer());
            }
        }, iter: 40);
    }

    [Fact]
    public async Task A_frame_delivered_one_byte_at_a_time_is_reassembled()
    {
        var payload = new RpcRequest { Checkpoint = new CheckpointRequest { InstanceId = "x", State = ByteString.CopyFromUtf8("state") } }.ToByteArray();
        var bytes = FrameCodec.Encode(FrameType.Request, payload);
        var pipe = new Pipe();
        var readTask = ReadAllAsync(pipe.Reader);
        foreach (var b in bytes)
        {
            await pipe.Writer.WriteAsync(new[] { b });
        }

        await pipe.Writer.CompleteAsync();

        var frame = Assert.Single(await readTask);
        Assert.Equal(payload, frame.Payload);
    }

    [Fact]
    public async Task Multiple_frames_are_readable_in_sequence_and_a_clean_end_returns_null()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(FrameCodec.Encode(FrameType.Request, new byte[] { 1 }));
        await pipe.Writer.WriteAsync(FrameCodec.Encode(FrameType.Response, new byte[] { 2, 2 }));
        await pipe.Writer.CompleteAsync();
        var reader = new FrameReader(pipe.Reader);

        var first = await reader.ReadAsync();
        Assert.Equal(FrameType.Request, first!.Value.Type);
        var second = await reader.ReadAsync();
        Assert.Equal(new byte[] { 2, 2 }, second!.Value.Payload.ToArray());
        Assert.Null(await reader.ReadAsync());
    }

    [Fact]
    public async Task A_stream_ending_inside_a_frame_reports_an_incomplete_payload()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(FrameCodec.Encode(FrameType.Request, new byte[10]).AsMemory(0, 9));
        await pipe.Writer.CompleteAsync();

        var ex = await Assert.ThrowsAsync<FrameException>(async () => await new FrameReader(pipe.Reader).ReadAsync());

        Assert.Equal(FrameError.IncompletePayload, ex.Error);
    }

    [Fact]
    public async Task An_oversize_length_is_rejected_before_the_payload_is_buffered()
    {
        var pipe = new Pipe();
        var header = new byte[6];
        FrameCodec.WriteHeader(header, FrameType.Request, int.MaxValue);
        await pipe.Writer.WriteAsync(header);
        var reader = new FrameReader(pipe.Reader, maxPayloadSize: 1024 * 1024);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = await Assert.ThrowsAsync<FrameException>(async () => await reader.ReadAsync());
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(FrameError.FrameTooLarge, ex.Error);
        Assert.Equal(int.MaxValue, ex.DeclaredLength);
        // The exception and its message are all that is allocated: nothing near the announced size.
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task An_undefined_type_is_consumed_so_the_next_frame_can_be_read()
    {
        var pipe = new Pipe();
        var bad = FrameCodec.Encode(FrameType.Request, new byte[] { 7, 7, 7 });
        bad[5] = 42;
        await pipe.Writer.WriteAsync(bad);
        await pipe.Writer.WriteAsync(FrameCodec.Encode(FrameType.Request, new byte[] { 1 }));
        await pipe.Writer.CompleteAsync();
        var reader = new FrameReader(pipe.Reader);

        var ex = await Assert.ThrowsAsync<FrameException>(async () => await reader.ReadAsync());
        var next = await reader.ReadAsync();

        Assert.True(ex.Recoverable);
        Assert.Equal(new byte[] { 1 }, next!.Value.Payload.ToArray());
    }

    private static async Task<List<(FrameType Type, byte[] Payload)>> ReadAllAsync(PipeReader pipeReader)
    {
        await Task.Yield();
        var reader = new FrameReader(pipeReader);
        var frames = new List<(FrameType, byte[])>();
        while (await reader.ReadAsync() is { } frame)
        {
            frames.Add((frame.Type, frame.Payload.ToArray()));
        }

        return frames;
    }

    private sealed class FrameComparer : IEqualityComparer<(FrameType Type, byte[] Payload)>
    {
        public bool Equals((FrameType Type, byte[] Payload) x, (FrameType Type, byte[] Payload) y) =>
            x.Type == y.Type && x.Payload.AsSpan().SequenceEqual(y.Payload);

        public int GetHashCode((FrameType Type, byte[] Payload) obj) => obj.Type.GetHashCode();
    }
}

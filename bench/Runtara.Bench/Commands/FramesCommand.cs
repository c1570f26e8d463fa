using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Google.Protobuf;
using Runtara.Bench.Infrastructure;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Instance;

namespace Runtara.Bench.Commands;

/// <summary><c>frames</c>: BenchmarkDotNet micro-benchmarks of frame encoding and decoding.</summary>
internal sealed class FramesCommand : IBenchCommand
{
    public string Name => "frames";

    public string Usage => "[--filter *] (BenchmarkDotNet; run with -c Release)";

    public Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var filter = arguments.GetString("filter", "*");
        arguments.EnsureAllRead();
        BenchmarkRunner.Run<FrameBenchmarks>(args: ["--filter", filter]);
        return Task.FromResult(0);
    }
}

/// <summary>Encode and decode a checkpoint request frame of 1 KiB state through pipes.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FrameBenchmarks
{
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private FrameWriter _writer = null!;
    private FrameReader _reader = null!;
    private RpcRequest _request = null!;
    private byte[] _encoded = null!;

    [Params(64, 1024, 65536)]
    public int StateSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _writer = new FrameWriter(_pipe.Writer);
        _reader = new FrameReader(_pipe.Reader);
        _request = new RpcRequest
        {
            Checkpoint = new CheckpointRequest { InstanceId = "instance-1", CheckpointId = "step-1", State = ByteString.CopyFrom(new byte[StateSize]) },
        };
        _encoded = FrameCodec.Encode(FrameType.Request, _request.ToByteArray());
    }

    [Benchmark(Description = "write+read frame via pipe")]
    public async Task<int> RoundTripThroughPipe()
    {
        _writer.Write(FrameType.Request, _request);
        await _writer.FlushAsync();
        var frame = await _reader.ReadAsync();
        var length = (int)frame!.Value.Payload.Length;
        _reader.Release();
        return length;
    }

    [Benchmark(Description = "decode frame + parse RpcRequest")]
    public int DecodeAndParse()
    {
        var frame = FrameCodec.Decode(_encoded);
        return RpcRequest.Parser.ParseFrom(frame.Payload).Checkpoint.State.Length;
    }

    [Benchmark(Description = "header read from sequence")]
    public int ReadHeader()
    {
        FrameCodec.TryReadHeader(new ReadOnlySequence<byte>(_encoded), FrameCodec.DefaultMaxPayloadSize, out var header);
        return header.PayloadLength;
    }
}

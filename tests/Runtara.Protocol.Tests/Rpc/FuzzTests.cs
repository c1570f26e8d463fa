using System.Buffers.Binary;
using Google.Protobuf;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// 100,000 random and mutated frames against a live server over loopback, from several connections
/// at once while a well-behaved client keeps calling: the server never crashes, every frame is
/// answered (or, for unrecoverable framing, the connection closes cleanly), memory stays bounded.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int TotalFrames = 100_000;
    private const int Workers = 4;

    [Fact]
    public async Task Random_and_mutated_frames_never_crash_the_server_and_others_keep_working()
    {
        var seed = System.Environment.GetEnvironmentVariable("RUNTARA_FUZZ_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed} (set RUNTARA_FUZZ_SEED to replay)");
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((call, _) => call.Request.Kind == RpcKind.OneWay
            ? ValueTask.FromResult(RpcReply<Inst.RpcResponse>.None)
            : ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse
            {
                GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = call.Request.GetInstanceStatus?.InstanceId ?? string.Empty },
            }));
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, TransportKind.Tcp, o => o.MaxFrameSize = 256 * 1024);
        var wellBehaved = harness.CreateClient();
        await wellBehaved.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "warm-up" } });
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        using var fuzzing = new CancellationTokenSource();
        var bystander = Task.Run(async () =>
        {
            var calls = 0;
            while (!fuzzing.IsCancellationRequested)
            {
                var id = $"bystander-{calls++}";
                var response = await wellBehaved.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = id } });
                Assert.Equal(id, response.GetInstanceStatus.InstanceId);
            }

            return calls;
        });

        var results = await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => FuzzAsync(harness.Port, seed + w, TotalFrames / Workers))));
        await fuzzing.CancelAsync();
        var bystanderCalls = await bystander;
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);

        var total = results.Aggregate(default(FuzzStats), (a, b) => a + b);
        output.WriteLine($"frames {total.Frames}, responses {total.Responses}, error frames {total.ErrorFrames}, unanswered one-way {total.Silent}, closed connections {total.Closes}, bystander calls {bystanderCalls}, managed memory {memoryBefore / 1024} KiB -> {memoryAfter / 1024} KiB");
        Assert.Equal(TotalFrames, total.Frames);
        Assert.True(total.ErrorFrames > 0 && total.Responses > 0);
        Assert.True(bystanderCalls > 0);
        Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024, $"managed memory grew by {(memoryAfter - memoryBefore) / 1024} KiB");
        var final = await wellBehaved.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "after" } });
        Assert.Equal("after", final.GetInstanceStatus.InstanceId);
    }

    private static async Task<FuzzStats> FuzzAsync(int port, int seed, int frames)
    {
        var random = new Random(seed);
        var generator = new FrameMutator(random);
        var stats = default(FuzzStats);
        RawTlsClient? connection = null;
        try
        {
            for (var i = 0; i < frames; i++)
            {
                connection ??= await RawTlsClient.ConnectAsync(port);
                var probeId = $"probe-{seed}-{i}";
                var probe = FrameCodec.Encode(FrameType.Request, new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = probeId } }.ToByteArray());
                var fuzz = generator.Next();
                await connection.WriteAsync(fuzz.Concat(probe).ToArray());
                stats.Frames++;

                var replies = 0;
                while (true)
                {
                    var reply = await connection.ReadFrameAsync(TimeSpan.FromSeconds(10));
                    if (reply is null)
                    {
                        // Only unrecoverable framing closes a connection, and it is said first.
                        Assert.True(replies == 1, $"frame {i} (seed {seed}) closed the connection without an answer");
                        stats.Closes++;
                        await connection.DisposeAsync();
                        connection = null;
                        break;
                    }

                    var (type, payload) = reply.Value;
                    if (type == FrameType.Response && Inst.RpcResponse.Parser.ParseFrom(payload) is { ResponseCase: Inst.RpcResponse.ResponseOneofCase.GetInstanceStatus } status
                        && status.GetInstanceStatus.InstanceId == probeId)
                    {
                        stats.Silent += replies == 0 ? 1 : 0;
                        break;
                    }

                    replies++;
                    Assert.True(replies == 1, $"frame {i} (seed {seed}) got more than one answer");
                    Assert.True(type is FrameType.Response or FrameType.Error, $"unexpected {type} frame");
                    if (type == FrameType.Error)
                    {
                        stats.ErrorFrames++;
                        Assert.False(string.IsNullOrEmpty(RpcErrorFrame.Parser.ParseFrom(payload).Code));
                    }
                    else
                    {
                        stats.Responses++;
                        Inst.RpcResponse.Parser.ParseFrom(payload);
                    }
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        return stats;
    }

    private record struct FuzzStats(int Frames, int Responses, int ErrorFrames, int Silent, int Closes)
    {
        public static FuzzStats operator +(FuzzStats a, FuzzStats b) =>
            new(a.Frames + b.Frames, a.Responses + b.Responses, a.ErrorFrames + b.ErrorFrames, a.Silent + b.Silent, a.Closes + b.Closes);
    }

    /// <summary>Produces complete frames: valid requests, bit-flipped requests, random payloads, odd types, rare oversize headers.</summary>
    private sealed class FrameMutator(Random random)
    {
        private readonly byte[][] _templates =
        [
            Encode(new Inst.RpcRequest { RegisterInstance = new() { InstanceId = "i", TenantId = "t", CheckpointId = "c" } }),
            Encode(new Inst.RpcRequest { Checkpoint = new() { InstanceId = "i", CheckpointId = "c", State = ByteString.CopyFromUtf8("{\"a\":1}") } }),
            Encode(new Inst.RpcRequest { GetCheckpoint = new() { InstanceId = "i", CheckpointId = "c" } }),
            Encode(new Inst.RpcRequest { Sleep = new() { InstanceId = "i", DurationMs = 5 } }),
            Encode(new Inst.RpcRequest { InstanceEvent = new() { InstanceId = "i", EventType = Inst.InstanceEventType.EventCustom, Subtype = "x", Payload = ByteString.CopyFromUtf8("p") } }),
            Encode(new Inst.RpcRequest { InstanceEventBatch = new() { Events = { new Inst.InstanceEvent { InstanceId = "i" } } } }),
            Encode(new Inst.RpcRequest { PollSignals = new() { InstanceId = "i", CheckpointId = "c" } }),
            Encode(new Inst.RpcRequest { SignalAck = new() { InstanceId = "i", Acknowledged = true } }),
            Encode(new Inst.RpcRequest { RetryAttempt = new() { InstanceId = "i", CheckpointId = "c", AttemptNumber = 2 } }),
            Encode(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "i" }, Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
        ];

        public byte[] Next()
        {
            var roll = random.Next(100);
            byte[] payload;
            ushort type;
            if (roll < 1)
            {
                // Oversize announcement: header only (the server must refuse before reading on).
                var header = new byte[6];
                BinaryPrimitives.WriteUInt32BigEndian(header, (uint)random.Next(256 * 1024 + 1, int.MaxValue));
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
                return header;
            }
            else if (roll < 30)
            {
                payload = (byte[])_templates[random.Next(_templates.Length)].Clone();
                for (var flips = random.Next(1, 4); flips > 0 && payload.Length > 0; flips--)
                {
                    payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
                }

                type = 1;
            }
            else if (roll < 55)
            {
                payload = new byte[random.Next(0, 200)];
                random.NextBytes(payload);
                type = 1;
            }
            else if (roll < 70)
            {
                payload = new byte[random.Next(0, 64)];
                random.NextBytes(payload);
                type = (ushort)random.Next(0, 65536);
                if (type == 3)
                {
                    type = 1;
                }
            }
            else if (roll < 73)
            {
                // A stream start that is not an upload (or not decodable): answered, then the connection closes.
                payload = _templates[random.Next(_templates.Length)];
                type = 3;
            }
            else
            {
                payload = _templates[random.Next(_templates.Length)];
                type = (ushort)(roll < 90 ? 1 : random.Next(4, 7));
            }

            var frame = new byte[6 + payload.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), type);
            payload.CopyTo(frame.AsSpan(6));
            return frame;
        }

        private static byte[] Encode(Inst.RpcRequest request) => request.ToByteArray();
    }
}

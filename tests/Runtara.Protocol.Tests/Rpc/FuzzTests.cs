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
        var seed = Fuzzing.Seed(output);
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Fuzzing.StatusEchoHandler(), TransportKind.Tcp, o => o.MaxFrameSize = Fuzzing.MaxFrameSize);
        var wellBehaved = harness.CreateClient();
        await wellBehaved.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "warm-up" } });
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        using var fuzzing = new CancellationTokenSource();
        var bystander = Fuzzing.BystanderAsync(wellBehaved, fuzzing.Token);

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
        RawFrameClient? connection = null;
        try
        {
            for (var i = 0; i < frames; i++)
            {
                connection ??= await RawFrameClient.ConnectAsync(port);
                var probeId = $"probe-{seed}-{i}";
                var probe = Fuzzing.StatusRequestFrame(probeId);
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
                    if (Fuzzing.IsStatusOf(type, payload, probeId))
                    {
                        stats.Silent += replies == 0 ? 1 : 0;
                        break;
                    }

                    replies++;
                    Assert.True(replies == 1, $"frame {i} (seed {seed}) got more than one answer");
                    if (Fuzzing.CheckAnswer(type, payload))
                    {
                        stats.ErrorFrames++;
                    }
                    else
                    {
                        stats.Responses++;
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
}

using System.Runtime.Versioning;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Runtara.Protocol.Transport.Quic;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// The QUIC counterpart of <see cref="FuzzTests"/>: 20,000 random and mutated frames, one per
/// bidirectional stream, on many concurrent streams of several raw connections — sent whole, without
/// finishing the stream, cut short, reset mid-write, refused before the answer, or stalled mid-frame —
/// while a well-behaved client keeps calling over QUIC. Every stream is answered (one frame then FIN),
/// finished without an answer (one-way requests), or reset by the server (a stalled or reset request);
/// no connection is closed, probes on the fuzzed connections keep working, memory stays bounded.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicFuzzTests(ITestOutputHelper output)
{
    private const int TotalStreams = 20_000;
    private const int Connections = 4;
    private const int LanesPerConnection = 8;
    private const int ProbeEvery = 16;
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(15);

    [Theory, QuicTransport]
    public async Task Random_and_mutated_frames_on_many_streams_never_crash_the_server_and_others_keep_working(TransportKind transport)
    {
        var seed = Fuzzing.Seed(output);
        var log = new CountingLogger();
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(
            Fuzzing.StatusEchoHandler(),
            transport,
            o =>
            {
                o.MaxFrameSize = Fuzzing.MaxFrameSize;
                o.RequestReadTimeout = TimeSpan.FromSeconds(2); // stalled streams are reset quickly
                o.MaxRequestsPerSecondPerConnection = 0; // 32 lanes on 4 connections must not be throttled
            },
            log);
        var wellBehaved = harness.CreateClient();
        await wellBehaved.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "warm-up" } });
        Assert.Equal(TransportKind.Quic, wellBehaved.Transport);
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        using var fuzzing = new CancellationTokenSource();
        var bystander = Fuzzing.BystanderAsync(wellBehaved, fuzzing.Token);

        var connections = new List<RawQuicClient>();
        try
        {
            for (var c = 0; c < Connections; c++)
            {
                connections.Add(await RawQuicClient.ConnectAsync(harness.Port, harness.Certificates.PinnedTls(), StreamTimeout));
            }

            const int lanes = Connections * LanesPerConnection;
            var results = await Task.WhenAll(Enumerable.Range(0, lanes).Select(lane =>
                Task.Run(() => FuzzLaneAsync(connections[lane % Connections], seed + lane, TotalStreams / lanes))));
            await fuzzing.CancelAsync();
            var bystanderCalls = await bystander;

            // Every fuzzed connection still serves a well-formed call.
            foreach (var connection in connections)
            {
                await ProbeAsync(connection, "final-probe");
            }

            var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
            var total = results.Aggregate(default(QuicFuzzStats), (a, b) => a + b);
            output.WriteLine($"streams {total.Streams}, responses {total.Responses}, error frames {total.ErrorFrames} (MALFORMED_FRAME {total.Malformed}), " +
                $"finished without answer {total.Silent}, reset by the server {total.Resets}, answers refused {total.Refused}, probes {total.Probes}, " +
                $"bystander calls {bystanderCalls}, bad frames logged {log.Count("BadFrame")}, stalled requests logged {log.Count("RequestReadTimedOut")}, " +
                $"managed memory {memoryBefore / 1024} KiB -> {memoryAfter / 1024} KiB");
            Assert.Equal(TotalStreams, total.Streams);
            Assert.True(total.ErrorFrames > 0 && total.Responses > 0 && total.Malformed > 0 && total.Resets > 0);
            Assert.True(bystanderCalls > 0);
            Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024, $"managed memory grew by {(memoryAfter - memoryBefore) / 1024} KiB");
        }
        finally
        {
            await fuzzing.CancelAsync();
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        var final = await wellBehaved.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "after" } });
        Assert.Equal("after", final.GetInstanceStatus.InstanceId);

        // The raw connections ended cleanly on the server too: no stream's failure escaped to its connection.
        await Wait.UntilAsync(() => Task.FromResult(harness.Server.OpenConnections), open => open <= 1, TimeSpan.FromSeconds(10), "the raw connections to close");
        Assert.Equal(0, log.Count("ConnectionFailed"));
        Assert.Equal(0, log.Count("HandlerFailed"));
    }

    private static async Task<QuicFuzzStats> FuzzLaneAsync(RawQuicClient connection, int seed, int streams)
    {
        var random = new Random(seed);
        var generator = new FrameMutator(random);
        var stats = default(QuicFuzzStats);
        for (var i = 0; i < streams; i++)
        {
            if (i % ProbeEvery == ProbeEvery - 1)
            {
                await ProbeAsync(connection, $"probe-{seed}-{i}");
                stats.Probes++;
            }

            var frame = generator.Next();
            var roll = random.Next(100);
            var (bytes, ending) = roll switch
            {
                < 70 => (frame, RawQuicEnding.CompleteWrites),
                < 80 => (frame, RawQuicEnding.LeaveOpen),
                < 88 => (frame[..random.Next(1, frame.Length)], RawQuicEnding.CompleteWrites),
                < 94 => (frame[..random.Next(1, frame.Length + 1)], RawQuicEnding.AbortWrites),
                < 99 => (frame, RawQuicEnding.AbortReads),
                _ => (frame[..random.Next(1, frame.Length)], RawQuicEnding.LeaveOpen),
            };
            var truncated = bytes.Length < frame.Length;
            var where = $"stream {i} (seed {seed}, {ending}, {bytes.Length}/{frame.Length} bytes)";
            var reply = await connection.ExchangeAsync(bytes, ending, StreamTimeout);
            stats.Streams++;

            Assert.True(reply.Outcome is not (RawQuicOutcome.TimedOut or RawQuicOutcome.ConnectionClosed), $"{where}: {reply.Outcome}");
            switch (reply.Outcome)
            {
                case RawQuicOutcome.NotRead:
                    stats.Refused++;
                    continue;
                case RawQuicOutcome.Aborted:
                    // Only a request the client reset or left unfinished is reset, with the transport's code.
                    Assert.True(ending == RawQuicEnding.AbortWrites || (ending == RawQuicEnding.LeaveOpen && truncated), $"{where}: reset by the server");
                    Assert.Equal(QuicErrorCodes.StreamAborted, reply.ErrorCode);
                    stats.Resets++;
                    continue;
            }

            Assert.False(ending == RawQuicEnding.LeaveOpen && truncated, $"{where}: a stalled frame was not reset");
            var answers = reply.Frames();
            Assert.True(answers.Count <= 1, $"{where}: {answers.Count} answers");
            if (ending == RawQuicEnding.CompleteWrites && truncated)
            {
                var (errorType, errorPayload) = Assert.Single(answers);
                Assert.Equal(FrameType.Error, errorType);
                Assert.Equal(RpcErrorCodes.MalformedFrame, RpcErrorFrame.Parser.ParseFrom(errorPayload).Code);
                stats.ErrorFrames++;
                stats.Malformed++;
            }
            else if (answers.Count == 0)
            {
                // A one-way request (or a reset request the server never saw whole) gets no answer.
                stats.Silent++;
            }
            else if (Fuzzing.CheckAnswer(answers[0].Type, answers[0].Payload))
            {
                stats.ErrorFrames++;
            }
            else
            {
                stats.Responses++;
            }
        }

        return stats;
    }

    private static async Task ProbeAsync(RawQuicClient connection, string id)
    {
        var reply = await connection.ExchangeAsync(Fuzzing.StatusRequestFrame(id), RawQuicEnding.CompleteWrites, StreamTimeout);
        Assert.Equal(RawQuicOutcome.Completed, reply.Outcome);
        var (type, payload) = Assert.Single(reply.Frames());
        Assert.True(Fuzzing.IsStatusOf(type, payload, id), $"probe {id} got a {type} frame");
    }

    private record struct QuicFuzzStats(int Streams, int Responses, int ErrorFrames, int Malformed, int Silent, int Resets, int Refused, int Probes)
    {
        public static QuicFuzzStats operator +(QuicFuzzStats a, QuicFuzzStats b) => new(
            a.Streams + b.Streams, a.Responses + b.Responses, a.ErrorFrames + b.ErrorFrames, a.Malformed + b.Malformed,
            a.Silent + b.Silent, a.Resets + b.Resets, a.Refused + b.Refused, a.Probes + b.Probes);
    }
}

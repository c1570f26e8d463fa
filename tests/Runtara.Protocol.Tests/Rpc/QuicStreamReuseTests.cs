using System.Runtime.Versioning;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// QUIC streams (issue 19): clients of this version (ALPN runtara/2) keep their streams and send
/// exchanges on them one after another; runtara 1.4.1-style clients (runtara/1) open a stream per
/// exchange and are answered exactly as before.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicStreamReuseTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory, QuicTransport]
    public async Task A_client_opening_one_stream_per_call_gets_each_answer_and_the_stream_finished(TransportKind transport)
    {
        await using var harness = await StartAsync(transport);
        await using var raw = await RawQuicClient.ConnectAsync(harness.Port, harness.Certificates.PinnedTls(), Timeout);

        for (var i = 0; i < 3; i++)
        {
            var finished = await raw.ExchangeAsync(Fuzzing.StatusRequestFrame($"call-{i}"), RawQuicEnding.CompleteWrites, Timeout);
            AssertStatus(finished, $"call-{i}");
        }

        // Even a runtara/1 client that leaves its side open gets the answer and then FIN.
        AssertStatus(await raw.ExchangeAsync(Fuzzing.StatusRequestFrame("open"), RawQuicEnding.LeaveOpen, Timeout), "open");
    }

    [Theory, QuicTransport]
    public async Task Sequential_and_concurrent_calls_on_kept_streams_each_get_their_own_answer(TransportKind transport)
    {
        await using var harness = await StartAsync(transport);
        var client = harness.CreateClient();

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"seq-{i}", (await client.CallAsync(Status($"seq-{i}")).WaitAsync(Timeout)).GetInstanceStatus.InstanceId);
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.CallAsync(Status($"par-{i}")))).WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"par-{i}"), answers.Select(a => a.GetInstanceStatus.InstanceId));
    }

    [Theory, QuicTransport]
    public async Task The_rate_limit_counts_per_stream_so_concurrent_calls_on_one_connection_are_not_throttled_as_one(TransportKind transport)
    {
        // 8 streams at 10 RPCs/s each: 32 calls in a burst fit; counted per connection, ~22 would be refused.
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Echo, transport, o => o.MaxRequestsPerSecondPerConnection = 10);
        var client = harness.CreateClient(o => o.MaxConnections = 8);

        for (var round = 0; round < 4; round++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.CallAsync(Status($"r{round}-{i}")))).WaitAsync(Timeout);
            Assert.Equal(8, answers.Length);
        }
    }

    private static Inst.RpcRequest Status(string id) => new() { GetInstanceStatus = new() { InstanceId = id } };

    private static void AssertStatus(RawQuicReply reply, string id)
    {
        Assert.Equal(RawQuicOutcome.Completed, reply.Outcome);
        var (type, payload) = Assert.Single(reply.Frames());
        Assert.True(Fuzzing.IsStatusOf(type, payload, id), $"expected the status of {id}, got a {type} frame");
    }

    private static readonly DelegateHandler<Inst.RpcRequest, Inst.RpcResponse> Echo = new((call, _) =>
        ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse
        {
            GetInstanceStatus = new() { InstanceId = call.Request.GetInstanceStatus?.InstanceId ?? string.Empty },
        }));

    private static Task<ServerHarness<Inst.RpcRequest, Inst.RpcResponse>> StartAsync(TransportKind transport) =>
        ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Echo, transport);
}

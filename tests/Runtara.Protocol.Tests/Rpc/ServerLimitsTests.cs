using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

public sealed class ServerLimitsTests
{
    private static DelegateHandler<Inst.RpcRequest, Inst.RpcResponse> Handler(Func<Task>? wait = null) =>
        new(async (_, ct) =>
        {
            if (wait is not null)
            {
                await wait().WaitAsync(ct);
            }

            return new Inst.RpcResponse { GetInstanceStatus = new() { InstanceId = "ok" } };
        });

    [Fact]
    public async Task Connections_beyond_the_limit_get_RESOURCE_EXHAUSTED()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Handler(() => hold.Task), TransportKind.Tcp, o => o.MaxConnections = 2);
        // A connection per call, so that the two held calls hold two connections.
        var busy = harness.CreateClient(o => (o.MaxConnections, o.MaxExchangesPerConnection) = (2, 1));
        var first = busy.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() });
        var second = busy.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() });
        await WaitUntilAsync(() => harness.Server.OpenConnections >= 2);

        var third = harness.CreateClient();
        var ex = await Assert.ThrowsAsync<RpcException>(() => third.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() }));
        hold.SetResult();
        await Task.WhenAll(first, second);

        Assert.Equal(RpcErrorCodes.ResourceExhausted, ex.Code);
    }

    [Fact]
    public void The_rate_limit_is_per_lane_so_a_multiplexed_connection_gets_one_budget_per_open_stream()
    {
        var context = new RpcConnectionContext(1, TransportKind.Quic, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1));
        for (var lane = 0; lane < 4; lane++)
        {
            context.OpenLane();
        }

        Assert.InRange(Enumerable.Range(0, 100).Count(_ => context.TryTakeRequest(10)), 40, 41);

        // Closing streams and opening them again gives no fresh burst.
        for (var lane = 0; lane < 4; lane++)
        {
            context.CloseLane();
        }

        for (var lane = 0; lane < 4; lane++)
        {
            context.OpenLane();
        }

        Assert.InRange(Enumerable.Range(0, 100).Count(_ => context.TryTakeRequest(10)), 0, 2);
    }

    [Fact]
    public void A_sequential_connection_is_one_lane()
    {
        var context = new RpcConnectionContext(1, TransportKind.Tcp, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1));
        Assert.InRange(Enumerable.Range(0, 100).Count(_ => context.TryTakeRequest(10)), 10, 11);
    }

    [Fact]
    public async Task A_server_on_port_zero_reports_the_port_it_bound()
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Handler(), TransportKind.Tcp);

        Assert.InRange(harness.Port, 1, 65535);
        Assert.Equal([TransportKind.Tcp], harness.Server.Transports);
    }

    [Fact]
    public async Task Auto_transport_serves_TLS_over_TCP_always_and_QUIC_only_where_supported()
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Handler(), TransportKind.Auto);
        var client = harness.CreateClient(o => o.Transport = TransportKind.Tcp);

        var response = await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() });

        Assert.Equal("ok", response.GetInstanceStatus.InstanceId);
        Assert.Contains(TransportKind.Tcp, harness.Server.Transports);
        Assert.Equal(TransportSupport.IsQuicSupported, harness.Server.Transports.Contains(TransportKind.Quic));
    }

    [Fact]
    public async Task After_stop_no_new_connection_is_accepted()
    {
        var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Handler(), TransportKind.Tcp);
        var port = harness.Port;
        await harness.DisposeAsync();

        await using var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions
        {
            Address = $"127.0.0.1:{port}",
            Transport = TransportKind.Tcp,
            Tls = new() { DangerousSkipCertificateVerification = true },
        });
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() }));

        Assert.Equal(RpcErrorCodes.Unavailable, ex.Code);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(10);
        }
    }
}

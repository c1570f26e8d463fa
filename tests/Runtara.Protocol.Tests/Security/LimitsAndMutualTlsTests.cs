using System.Diagnostics;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Security;

/// <summary>The per-connection rate limit, the request read timeout (slow clients) and mutual TLS, against a live server.</summary>
public sealed class LimitsAndMutualTlsTests
{
    private const int Timeout = 60_000;

    private static readonly DelegateHandler<Inst.RpcRequest, Inst.RpcResponse> Echo = new((call, _) =>
        ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse
        {
            GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = call.Request.GetInstanceStatus?.InstanceId ?? string.Empty },
        }));

    private static Inst.RpcRequest Status(string id) => new() { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = id } };

    [Fact(Timeout = Timeout)]
    public async Task A_connection_over_its_rate_gets_resource_exhausted_and_recovers_after_refill()
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Echo, TransportKind.Tcp, o => o.MaxRequestsPerSecondPerConnection = 10);
        var client = harness.CreateClient(o => o.MaxConnections = 1);

        var refused = 0;
        for (var i = 0; i < 40; i++)
        {
            try
            {
                await client.CallAsync(Status($"i-{i}"));
            }
            catch (RpcException ex) when (ex.Code == RpcErrorCodes.ResourceExhausted)
            {
                refused++;
            }
        }

        Assert.InRange(refused, 20, 40);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.Equal("after", (await client.CallAsync(Status("after"))).GetInstanceStatus.InstanceId);
    }

    [Fact(Timeout = Timeout)]
    public async Task A_client_that_sends_part_of_a_frame_and_stalls_is_disconnected_while_others_are_served()
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Echo, TransportKind.Tcp, o => o.RequestReadTimeout = TimeSpan.FromSeconds(1));
        var wellBehaved = harness.CreateClient();
        await using var slow = await RawFrameClient.ConnectAsync(harness.Port);

        // Three bytes of a five-byte header, then nothing.
        var started = Stopwatch.GetTimestamp();
        await slow.WriteAsync(new byte[] { 1, 0, 0 });
        Assert.Equal("other", (await wellBehaved.CallAsync(Status("other"))).GetInstanceStatus.InstanceId);

        Assert.Null(await slow.ReadFrameAsync(TimeSpan.FromSeconds(10)));
        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        Assert.Equal("still", (await wellBehaved.CallAsync(Status("still"))).GetInstanceStatus.InstanceId);
    }

    [Fact(Timeout = Timeout)]
    public async Task An_idle_connection_is_not_cut_by_the_read_timeout()
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Echo, TransportKind.Tcp, o => o.RequestReadTimeout = TimeSpan.FromMilliseconds(300));
        var client = harness.CreateClient(o => o.MaxConnections = 1);
        await client.CallAsync(Status("first"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, harness.Server.OpenConnections);
        Assert.Equal("second", (await client.CallAsync(Status("second"))).GetInstanceStatus.InstanceId);
    }

    [Fact(Timeout = Timeout)]
    public async Task Mutual_tls_refuses_clients_without_a_trusted_certificate()
    {
        using var clientCertificates = new TestCertificates();
        using var strangers = new TestCertificates();
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Echo, TransportKind.Tcp, o =>
        {
            o.Tls.RequireClientCertificate = true;
            o.Tls.ClientCaCertificatePath = clientCertificates.PinnedPath;
        });

        var trusted = harness.CreateClient(o =>
        {
            o.Tls.ClientCertificatePath = clientCertificates.PinnedPath;
            o.Tls.ClientKeyPath = Path.Combine(clientCertificates.Directory, DevelopmentCertificate.KeyFileName);
        });
        Assert.Equal("mtls", (await trusted.CallAsync(Status("mtls"))).GetInstanceStatus.InstanceId);

        var anonymous = harness.CreateClient(o => o.ConnectTimeout = TimeSpan.FromSeconds(5));
        var refused = await Assert.ThrowsAsync<RpcException>(() => anonymous.CallAsync(Status("anonymous")));
        Assert.Contains(refused.Code, new[] { RpcErrorCodes.TlsFailure, RpcErrorCodes.Unavailable, RpcErrorCodes.ConnectionClosed });

        var stranger = harness.CreateClient(o =>
        {
            o.ConnectTimeout = TimeSpan.FromSeconds(5);
            o.Tls.ClientCertificatePath = strangers.PinnedPath;
            o.Tls.ClientKeyPath = Path.Combine(strangers.Directory, DevelopmentCertificate.KeyFileName);
        });
        var untrusted = await Assert.ThrowsAsync<RpcException>(() => stranger.CallAsync(Status("stranger")));
        Assert.Contains(untrusted.Code, new[] { RpcErrorCodes.TlsFailure, RpcErrorCodes.Unavailable, RpcErrorCodes.ConnectionClosed });
    }
}

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

public sealed class ClientTests
{
    [Fact]
    public async Task Connecting_to_a_dead_port_fails_within_the_connect_timeout()
    {
        var port = FreePort();
        await using var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions
        {
            Address = $"127.0.0.1:{port}",
            Transport = TransportKind.Tcp,
            ConnectTimeout = TimeSpan.FromMilliseconds(100),
        });

        var started = DateTime.UtcNow;
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() }));

        Assert.Equal(RpcErrorCodes.Unavailable, ex.Code);
        Assert.True(ex.IsTransient);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ConnectAsync_opens_a_pooled_connection_that_the_first_call_uses()
    {
        var calls = 0;
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(
            new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((_, _) =>
            {
                Interlocked.Increment(ref calls);
                return ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse { Sleep = new() });
            }),
            TransportKind.Tcp);
        var client = harness.CreateClient();

        await client.ConnectAsync();

        // The TLS handshake is done and nothing was sent: the server holds one connection and saw no call.
        await Wait.UntilAsync(() => Task.FromResult(harness.Server.OpenConnections), open => open == 1, TimeSpan.FromSeconds(10), "the connection to open");
        Assert.Equal(0, Volatile.Read(ref calls));

        var response = await client.CallAsync(new Inst.RpcRequest { Sleep = new() });

        Assert.Equal(Inst.RpcResponse.ResponseOneofCase.Sleep, response.ResponseCase);
        Assert.Equal(1, harness.Server.OpenConnections);
    }

    [Fact]
    public async Task ConnectAsync_to_a_dead_port_fails_as_unavailable()
    {
        await using var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions
        {
            Address = $"127.0.0.1:{FreePort()}",
            Transport = TransportKind.Tcp,
            ConnectTimeout = TimeSpan.FromMilliseconds(200),
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ConnectAsync());

        Assert.Equal(RpcErrorCodes.Unavailable, ex.Code);
    }

    [Fact]
    public async Task Disposing_a_client_that_never_connected_is_safe()
    {
        var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions { Transport = TransportKind.Tcp });

        await client.DisposeAsync();
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Skipping_verification_connects_to_an_untrusted_server()
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(
            new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((_, _) => ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse { Sleep = new() })),
            TransportKind.Tcp);
        var client = harness.CreateClient(o => o.Tls = new ClientTlsOptions { DangerousSkipCertificateVerification = true });

        var response = await client.CallAsync(new Inst.RpcRequest { Sleep = new() });

        Assert.Equal(Inst.RpcResponse.ResponseOneofCase.Sleep, response.ResponseCase);
    }

    [Fact]
    public void A_server_with_an_invalid_PEM_certificate_fails_to_start()
    {
        using var certificates = new TestCertificates();
        var bad = Path.Combine(certificates.Directory, "bad.pem");
        File.WriteAllText(bad, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        var options = new RpcServerOptions { Tls = new ServerTlsOptions { CertificatePath = bad, KeyPath = bad } };

        Assert.ThrowsAny<CryptographicException>(() => new RpcServer<Inst.RpcRequest, Inst.RpcResponse>(
            options, new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((_, _) => default)));
    }

    [Fact]
    public void Requesting_QUIC_where_it_is_unsupported_fails_with_an_explanation()
    {
        if (TransportSupport.IsQuicSupported)
        {
            Assert.Equal(TransportKind.Quic, TransportSupport.Resolve(TransportKind.Quic));
            return;
        }

        var ex = Assert.Throws<PlatformNotSupportedException>(() => TransportSupport.Resolve(TransportKind.Quic));
        Assert.Contains("libmsquic", ex.Message, StringComparison.Ordinal);
        Assert.Equal(TransportKind.Tcp, TransportSupport.Resolve(TransportKind.Auto));
    }

    [Theory]
    [InlineData("127.0.0.1:8001", "127.0.0.1", 8001, "localhost")]
    [InlineData("localhost:8002", "localhost", 8002, "localhost")]
    [InlineData("[::1]:8003", "::1", 8003, "localhost")]
    [InlineData("tcp://core.internal:1234", "core.internal", 1234, "core.internal")]
    [InlineData("tcp://localhost:5000/", "localhost", 5000, "localhost")]
    public void Addresses_parse_into_host_port_and_TLS_name(string text, string host, int port, string serverName)
    {
        var address = RpcAddress.Parse(text);

        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
        Assert.Equal(serverName, address.DefaultServerName);
    }

    [Theory]
    [InlineData("no-port")]
    [InlineData("host:")]
    [InlineData("host:99999")]
    [InlineData("::1:80")]
    [InlineData("tcp://host")]
    [InlineData("unix:relative/core.sock")]
    [InlineData("unix:")]
    public void Malformed_addresses_are_rejected(string text) =>
        Assert.Throws<FormatException>(() => RpcAddress.Parse(text));

    [Theory]
    [InlineData("unix:/run/runtara/instance.sock")]
    [InlineData("unix:///run/runtara/instance.sock")]
    [InlineData("UNIX:/run/runtara/instance.sock")]
    public void Unix_socket_addresses_parse_into_a_path_and_print_back(string text)
    {
        var address = RpcAddress.Parse(text);

        Assert.Equal("/run/runtara/instance.sock", address.UnixSocketPath);
        Assert.Equal("/run/runtara/instance.sock", Assert.IsType<UnixDomainSocketEndPoint>(address.EndPoint).ToString());
        Assert.Equal("unix:/run/runtara/instance.sock", address.ToString());
        Assert.Equal(address, RpcAddress.Parse(address.ToString()));
    }

    [Fact]
    public void A_unix_address_picks_the_unix_transport_whatever_the_transport_setting()
    {
        var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions { Address = "unix:/tmp/none.sock", Transport = TransportKind.Quic });

        Assert.Equal(TransportKind.Unix, client.Transport);
        Assert.Equal("unix:/tmp/none.sock", client.Address);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

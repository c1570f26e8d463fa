using System.Net;
using System.Net.Sockets;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// Clients given several server addresses (<c>host1:port1,host2:port2</c>, docs/core.md "Several
/// cores"): real loopback servers sharing one certificate; a connection that cannot be made to one
/// address is made to the next, and the client keeps to the server that works.
/// </summary>
public sealed class FailoverTests : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);
    private readonly TestCertificates _certificates = new();

    [Theory, TcpTransport, QuicTransport]
    public async Task A_call_to_a_list_whose_first_address_is_closed_is_served_by_the_second(TransportKind transport)
    {
        var closed = ClosedPort();
        await using var server = await StartAsync("second", transport);
        await using var client = Client($"127.0.0.1:{closed},127.0.0.1:{server.Port}", transport);

        var answer = await client.CallAsync(Status()).WaitAsync(TestTimeout);

        Assert.Equal("second", answer.GetInstanceStatus.InstanceId);
        Assert.Equal($"127.0.0.1:{closed},127.0.0.1:{server.Port}", client.Address);
    }

    [Theory, TcpTransport]
    public async Task The_client_keeps_to_the_server_that_works_and_moves_on_only_when_it_fails(TransportKind transport)
    {
        var first = await StartAsync("first", transport);
        await using var second = await StartAsync("second", transport);
        var firstPort = first.Port;
        await using var client = Client($"127.0.0.1:{firstPort},127.0.0.1:{second.Port}", transport);
        Assert.Equal("first", await WhoAnswersAsync(client));

        // The first server goes away: the call is made on the second.
        await first.DisposeAsync();
        Assert.Equal("second", await WhoAnswersAsync(client));

        // The first is back, but the client stays where it works, on new connections too.
        first = await StartAsync("first", transport, firstPort);
        await using (first)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => WhoAnswersAsync(client, TimeSpan.FromMilliseconds(100))));
            Assert.All(answers, name => Assert.Equal("second", name));

            // Only when the second fails does it go back to the first.
            await second.DisposeAsync();
            Assert.Equal("first", await WhoAnswersAsync(client));
        }
    }

    [Fact]
    public async Task A_list_where_no_server_answers_fails_unavailable_naming_every_address()
    {
        var (one, two) = (ClosedPort(), ClosedPort());
        await using var client = Client($"127.0.0.1:{one},127.0.0.1:{two}", TransportKind.Tcp);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(Status()).WaitAsync(TestTimeout));

        Assert.Equal(RpcErrorCodes.Unavailable, error.Code);
        Assert.True(error.IsTransient);
    }

    [Theory]
    [InlineData("127.0.0.1:1,", "empty entry")]
    [InlineData("127.0.0.1:1,,127.0.0.1:2", "empty entry")]
    [InlineData("unix:/tmp/a.sock,127.0.0.1:2", "mixes")]
    [InlineData("127.0.0.1:1,nonsense", "host:port")]
    public void A_bad_list_is_refused_with_a_message_naming_it(string list, string expected)
    {
        var error = Assert.Throws<FormatException>(() => RpcAddress.ParseList(list));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_parses_each_address_and_prints_back()
    {
        var list = RpcAddress.ParseList(" 10.0.0.1:8001 , core-b:8001,[::1]:9001,tcp://core-c:8001 ");

        Assert.Equal(["10.0.0.1:8001", "core-b:8001", "[::1]:9001", "core-c:8001"], list.Select(a => a.ToString()));
        Assert.Single(RpcAddress.ParseList("127.0.0.1:8001"));
    }

    public void Dispose() => _certificates.Dispose();

    private static Inst.RpcRequest Status() => new() { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = "i" } };

    /// <summary>A loopback port nothing listens on: bound to port 0, read back, released (connecting is refused).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<string> WhoAnswersAsync(RpcClient<Inst.RpcRequest, Inst.RpcResponse> client, TimeSpan? hold = null)
    {
        var request = Status();
        request.GetInstanceStatus.InstanceId = hold is { } delay ? ((long)delay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
        return (await client.CallAsync(request).WaitAsync(TestTimeout)).GetInstanceStatus.InstanceId;
    }

    /// <summary>A server that answers its name, after holding the call for the milliseconds the request names (so concurrent calls need connections of their own).</summary>
    private async Task<RpcServer<Inst.RpcRequest, Inst.RpcResponse>> StartAsync(string name, TransportKind transport, int port = 0)
    {
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>(async (call, ct) =>
        {
            if (int.TryParse(call.Request.GetInstanceStatus.InstanceId, out var holdMs) && holdMs > 0)
            {
                await Task.Delay(holdMs, ct);
            }

            return new Inst.RpcResponse { GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = name } };
        });

        // Every server presents the same certificate, as the cores of one deployment do.
        var server = new RpcServer<Inst.RpcRequest, Inst.RpcResponse>(
            new RpcServerOptions
            {
                BindAddress = "127.0.0.1",
                Port = port,
                Transport = transport,
                Tls = new ServerTlsOptions { DevelopmentCertificateDirectory = _certificates.Directory },
                ShutdownTimeout = TimeSpan.FromSeconds(5),
            },
            handler);
        await server.StartAsync();
        return server;
    }

    private RpcClient<Inst.RpcRequest, Inst.RpcResponse> Client(string addresses, TransportKind transport) => new(new RpcClientOptions
    {
        Address = addresses,
        Transport = transport,
        Tls = _certificates.PinnedTls(),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });
}

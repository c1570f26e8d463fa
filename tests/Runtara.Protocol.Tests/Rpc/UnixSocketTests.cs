using System.Net.Sockets;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>The Unix socket listener's file: what a killed server leaves is replaced, anything else is not.</summary>
public sealed class UnixSocketTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    private string SocketPath => Path.Combine(_certificates.Directory, "core.sock");

    public void Dispose() => _certificates.Dispose();

    private RpcServer<Inst.RpcRequest, Inst.RpcResponse> Server() => new(
        new RpcServerOptions
        {
            BindAddress = "127.0.0.1",
            Transport = TransportKind.Tcp,
            UnixSocketPath = SocketPath,
            Tls = new ServerTlsOptions { DevelopmentCertificateDirectory = _certificates.Directory },
        },
        new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((call, _) => ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(
            new Inst.RpcResponse { GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = call.Request.GetInstanceStatus.InstanceId } })));

    [Fact]
    public async Task A_socket_file_left_by_a_killed_server_is_replaced_and_the_socket_is_connectable_by_all_local_users()
    {
        // A socket file nobody listens on is what a kill -9 leaves. .NET unlinks the file of a socket
        // it closes, so the file is moved to the path first and the socket closed afterwards.
        var bound = SocketPath + ".bound";
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            stale.Bind(new UnixDomainSocketEndPoint(bound));
            File.Move(bound, SocketPath);
        }

        Assert.True(File.Exists(SocketPath));
        await using var server = Server();
        await server.StartAsync();
        await using var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions { Address = RpcAddress.UnixScheme + SocketPath });

        var answer = await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = "over-unix" } });

        Assert.Equal("over-unix", answer.GetInstanceStatus.InstanceId);
        Assert.Contains(TransportKind.Unix, server.Transports);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.OtherWrite, File.GetUnixFileMode(SocketPath) & UnixFileMode.OtherWrite);
        }
        await server.StopAsync();
        Assert.False(File.Exists(SocketPath), "a stopped server removes its socket file");
    }

    [Fact]
    public async Task A_regular_file_at_the_socket_path_is_never_replaced()
    {
        await File.WriteAllTextAsync(SocketPath, "not a socket");
        await using var server = Server();

        var ex = await Assert.ThrowsAsync<IOException>(() => server.StartAsync());

        Assert.Contains("not a socket", ex.Message, StringComparison.Ordinal);
        Assert.Equal("not a socket", await File.ReadAllTextAsync(SocketPath));
    }

    [Fact]
    public async Task A_second_server_on_a_live_socket_is_refused_and_the_first_keeps_serving()
    {
        await using var first = Server();
        await first.StartAsync();
        await using var second = Server();

        var ex = await Assert.ThrowsAsync<IOException>(() => second.StartAsync());
        await using var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions { Address = RpcAddress.UnixScheme + SocketPath });

        Assert.Contains("Another server", ex.Message, StringComparison.Ordinal);
        Assert.Equal("still", (await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = "still" } })).GetInstanceStatus.InstanceId);
    }
}

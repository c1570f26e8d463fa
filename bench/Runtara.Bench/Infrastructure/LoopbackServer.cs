using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// An in-process RPC server on 127.0.0.1 (and on a Unix socket in its directory for the Unix transport) with a throw-away development certificate, and client
/// options that pin it: what the transport benchmarks run against.
/// </summary>
internal sealed class LoopbackServer<TRequest, TResponse> : IAsyncDisposable
    where TRequest : class, IRpcRequest<TRequest>
    where TResponse : class, IRpcResponse<TResponse>
{
    private readonly string _directory;

    private LoopbackServer(RpcServer<TRequest, TResponse> server, string directory)
    {
        Server = server;
        _directory = directory;
    }

    public RpcServer<TRequest, TResponse> Server { get; }

    public static async Task<LoopbackServer<TRequest, TResponse>> StartAsync(IRpcHandler<TRequest, TResponse> handler, TransportKind transport)
    {
        var directory = Directory.CreateTempSubdirectory("runtara-bench-").FullName;
        var options = new RpcServerOptions
        {
            BindAddress = "127.0.0.1",
            Port = 0,
            Transport = transport == TransportKind.Unix ? TransportKind.Tcp : transport,
            Tls = new ServerTlsOptions { DevelopmentCertificateDirectory = directory },

            // Measures the RPC path, not the guard against one client flooding a server: the echo calls of
            // one multiplexed connection exceed the default 50,000 per second.
            MaxRequestsPerSecondPerConnection = 0,

            // Unix: the server listens on TLS/TCP as always, plus this socket, which the client uses.
            UnixSocketPath = transport == TransportKind.Unix ? Path.Combine(directory, "rpc.sock") : null,
        };
        var server = new RpcServer<TRequest, TResponse>(options, handler);
        await server.StartAsync();
        return new LoopbackServer<TRequest, TResponse>(server, directory);
    }

    public RpcClientOptions ClientOptions(TransportKind transport, int maxConnections) => new()
    {
        Address = transport == TransportKind.Unix ? $"unix:{Path.Combine(_directory, "rpc.sock")}" : $"127.0.0.1:{Server.Port}",
        Transport = transport,
        MaxConnections = maxConnections,
        Tls = new ClientTlsOptions { PinnedCertificatePath = DevelopmentCertificate.CertificatePath(_directory) },
    };

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

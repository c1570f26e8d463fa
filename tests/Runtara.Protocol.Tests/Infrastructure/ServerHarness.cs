using Microsoft.Extensions.Logging;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>
/// A real server on 127.0.0.1 (port 0) with a pinned development certificate, plus client factories.
/// For <see cref="TransportKind.Unix"/> the server also listens on a socket in the certificates' folder
/// and clients connect there.
/// </summary>
public sealed class ServerHarness<TRequest, TResponse> : IAsyncDisposable
    where TRequest : class, IRpcRequest<TRequest>
    where TResponse : class, IRpcResponse<TResponse>
{
    private readonly List<RpcClient<TRequest, TResponse>> _clients = [];

    private readonly ILogger? _logger;

    private ServerHarness(TestCertificates certificates, RpcServer<TRequest, TResponse> server, TransportKind transport, ILogger? logger)
    {
        Certificates = certificates;
        Server = server;
        Transport = transport;
        _logger = logger;
    }

    public TestCertificates Certificates { get; }

    public RpcServer<TRequest, TResponse> Server { get; private set; }

    public TransportKind Transport { get; }

    public int Port => Server.Port;

    /// <summary>The Unix socket the server listens on when started for <see cref="TransportKind.Unix"/> (it serves TLS/TCP on <see cref="Port"/> too).</summary>
    public string SocketPath => Path.Combine(Certificates.Directory, "rpc.sock");

    public static async Task<ServerHarness<TRequest, TResponse>> StartAsync(
        IRpcHandler<TRequest, TResponse> handler, TransportKind transport, Action<RpcServerOptions>? configure = null, ILogger? logger = null)
    {
        var certificates = new TestCertificates();
        var server = new RpcServer<TRequest, TResponse>(CreateOptions(certificates, transport, 0, configure), handler, logger);
        await server.StartAsync();
        return new ServerHarness<TRequest, TResponse>(certificates, server, transport, logger);
    }

    /// <summary>Stops the server and starts a new one on the same port (a server restart).</summary>
    public async Task RestartAsync(IRpcHandler<TRequest, TResponse> handler)
    {
        var port = Port;
        await Server.DisposeAsync();
        Server = new RpcServer<TRequest, TResponse>(CreateOptions(Certificates, Transport, port, null), handler, _logger);
        await Server.StartAsync();
    }

    public RpcClientOptions ClientOptions(Action<RpcClientOptions>? configure = null)
    {
        var options = new RpcClientOptions
        {
            Address = Transport == TransportKind.Unix ? RpcAddress.UnixScheme + SocketPath : $"127.0.0.1:{Port}",
            Transport = Transport,
            Tls = Certificates.PinnedTls(),
            DefaultDeadline = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        return options;
    }

    public RpcClient<TRequest, TResponse> CreateClient(Action<RpcClientOptions>? configure = null)
    {
        var client = new RpcClient<TRequest, TResponse>(ClientOptions(configure));
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync();
        Certificates.Dispose();
    }

    private static RpcServerOptions CreateOptions(TestCertificates certificates, TransportKind transport, int port, Action<RpcServerOptions>? configure)
    {
        var options = new RpcServerOptions
        {
            BindAddress = "127.0.0.1",
            Port = port,
            Transport = transport == TransportKind.Unix ? TransportKind.Tcp : transport,
            UnixSocketPath = transport == TransportKind.Unix ? Path.Combine(certificates.Directory, "rpc.sock") : null,
            Tls = new ServerTlsOptions { DevelopmentCertificateDirectory = certificates.Directory },
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }
}

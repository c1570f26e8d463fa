using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Sdk.Tests.Infrastructure;

/// <summary>
/// An instance-protocol server in front of a real core that forwards every call, but for the first
/// <c>responsesToLose</c> Wait calls that returned a decided outcome (a signal taken) it lets the core commit and
/// then closes the connection without answering: a response lost on the wire. It serves the core's
/// development certificate, so SDK options pinned to the core reach it unchanged.
/// </summary>
public sealed class LossyRelay : IRpcHandler<RpcRequest, RpcResponse>, IAsyncDisposable
{
    private readonly RpcClient<RpcRequest, RpcResponse> _core;
    private readonly RpcServer<RpcRequest, RpcResponse> _server;
    private int _toLose;
    private int _deliveries;

    private LossyRelay(CoreHost core, int responsesToLose)
    {
        _toLose = responsesToLose;
        _core = new RpcClient<RpcRequest, RpcResponse>(new RpcClientOptions
        {
            Address = core.InstanceAddress,
            Transport = TransportKind.Tcp,
            Tls = { PinnedCertificatePath = core.CertificatePath },
        });
        _server = new RpcServer<RpcRequest, RpcResponse>(
            new RpcServerOptions
            {
                BindAddress = "127.0.0.1",
                Port = 0,
                Transport = TransportKind.Tcp,
                Tls = new ServerTlsOptions { DevelopmentCertificateDirectory = Path.GetDirectoryName(core.CertificatePath) },
                ShutdownTimeout = TimeSpan.FromSeconds(2),
            },
            this);
    }

    public string Address => $"127.0.0.1:{_server.Port}";

    /// <summary>Wait calls the core answered with an outcome, lost ones included.</summary>
    public int Deliveries => Volatile.Read(ref _deliveries);

    public static async Task<LossyRelay> StartAsync(CoreHost core, int responsesToLose)
    {
        var relay = new LossyRelay(core, responsesToLose);
        await relay._server.StartAsync();
        return relay;
    }

    public async ValueTask<RpcReply<RpcResponse>> HandleAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        var request = call.Request;
        if (request.Kind == RpcKind.OneWay)
        {
            await _core.SendAsync(request, cancellationToken);
            return RpcReply<RpcResponse>.None;
        }

        var response = await _core.CallAsync(request, cancellationToken);
        if (request.Wait is not null && response.Wait is { HasOutcome: true })
        {
            Interlocked.Increment(ref _deliveries);
            if (Interlocked.Decrement(ref _toLose) >= 0)
            {
                // The server closes the connection without a response on an IOException.
                throw new IOException("response dropped by the test relay");
            }
        }

        return response;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _core.DisposeAsync();
    }
}

using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Management.Tests.Client;

/// <summary>An environment-protocol server on port 0 whose answers the test chooses.</summary>
public sealed class StubEnvironment : IAsyncDisposable, IRpcHandler<RpcRequest, RpcResponse>
{
    private readonly string _directory = Directory.CreateTempSubdirectory("runtara-mgmt-tests-").FullName;
    private RpcServer<RpcRequest, RpcResponse> _server = null!;

    /// <summary>The reply to each request: a response (converted implicitly) or a streamed one.</summary>
    public Func<RpcRequest, RpcReply<RpcResponse>> Answer { get; set; } = _ => RpcResponse.FromError(RpcErrorCodes.Unimplemented, "not set");

    public string Address => $"127.0.0.1:{_server.Port}";

    public string CertificatePath => DevelopmentCertificate.CertificatePath(_directory);

    /// <summary>Arguments that point the CLI at this stub.</summary>
    public string[] CliArguments => ["--address", Address, "--pinned-cert", CertificatePath, "--transport", "Tcp"];

    public List<RpcRequest> Requests { get; } = [];

    public static async Task<StubEnvironment> StartAsync()
    {
        var stub = new StubEnvironment();
        stub._server = new RpcServer<RpcRequest, RpcResponse>(new RpcServerOptions
        {
            BindAddress = "127.0.0.1",
            Port = 0,
            Transport = TransportKind.Tcp,
            Tls = new ServerTlsOptions { DevelopmentCertificateDirectory = stub._directory },
        }, stub);
        await stub._server.StartAsync();
        return stub;
    }

    public RuntaraManagementClient Client(string? tenant = null) => new(new ManagementClientOptions
    {
        Address = Address,
        Transport = TransportKind.Tcp,
        PinnedCertificatePath = CertificatePath,
        TenantId = tenant,
    });

    public ValueTask<RpcReply<RpcResponse>> HandleAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        lock (Requests)
        {
            Requests.Add(call.Request);
        }

        return ValueTask.FromResult(Answer(call.Request));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

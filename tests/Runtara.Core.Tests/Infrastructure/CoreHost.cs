using Runtara.Core.Hosting;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;
using Runtara.Testing.Core;
using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Tests.Infrastructure;

/// <summary>
/// A real core in the test process (<see cref="CoreApp"/>: composed exactly as Program.cs does),
/// bound to port 0 on loopback with real storage and TLS, plus terse clients of both protocols.
/// </summary>
public sealed class CoreHost : IAsyncDisposable
{
    private readonly CoreApp _core;

    private CoreHost(CoreApp core, string dataDirectory)
    {
        _core = core;
        Endpoints = core.Endpoints;
        DataDirectory = dataDirectory;
        HttpAddress = core.HttpAddress;
        Instance = new InstanceApi(NewInstanceClient());
        Management = new ManagementApi(NewManagementClient());
    }

    public CoreEndpoints Endpoints { get; }

    public string DataDirectory { get; }

    public Uri HttpAddress { get; }

    /// <summary>An instance-protocol client (TLS/TCP, pinned development certificate).</summary>
    public InstanceApi Instance { get; }

    /// <summary>A management-protocol client.</summary>
    public ManagementApi Management { get; }

    public IServiceProvider Services => _core.App.Services;

    public static async Task<CoreHost> StartAsync(string dataDirectory, string? postgresConnectionString = null, IDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?> { ["Runtara:Core:PostgresConnectionString"] = postgresConnectionString ?? string.Empty };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        return new CoreHost(await CoreApp.StartAsync(dataDirectory, configuration), dataDirectory);
    }

    public RpcClient<Inst.RpcRequest, Inst.RpcResponse> NewInstanceClient(int maxConnections = 16) =>
        new(ClientOptions(Endpoints.InstancePort, Endpoints.CertificatePath!, maxConnections, ServiceToken));

    public RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse> NewManagementClient() =>
        new(ClientOptions(Endpoints.ManagementPort, Endpoints.CertificatePath!, 4, ServiceToken));

    /// <summary>A service token for this core's keys: accepted on both ports for any instance.</summary>
    public string ServiceToken => TestCredentials.ServiceToken(DataDirectory);

    public static RpcClientOptions ClientOptions(int port, string certificatePath, int maxConnections, string? credential) => new()
    {
        CredentialProvider = credential is null ? null : () => credential,
        Address = $"127.0.0.1:{port}",
        Transport = TransportKind.Tcp,
        Tls = { PinnedCertificatePath = certificatePath },
        DefaultDeadline = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        MaxConnections = maxConnections,
    };

    public async ValueTask DisposeAsync()
    {
        await Instance.DisposeAsync();
        await Management.DisposeAsync();
        await _core.StopAsync();
    }
}

using Runtara.Core.Hosting;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;
using Runtara.Testing.Core;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Sdk.Tests.Infrastructure;

/// <summary>
/// A real core in the test process (<see cref="CoreApp"/>: composed as its Program.cs does) on
/// loopback port 0 with SQLite storage and a development certificate, tuned for SDK tests (fast
/// durable sleeps, every activity written), plus a management-protocol client.
/// </summary>
public sealed class CoreHost : IAsyncDisposable
{
    /// <summary>Sleeps of at least this are durable (suspend); shorter ones are waited by the core.</summary>
    public static readonly TimeSpan SleepThreshold = TimeSpan.FromSeconds(1);

    private readonly CoreApp _core;

    private CoreHost(CoreApp core, string dataDirectory)
    {
        _core = core;
        Endpoints = core.Endpoints;
        DataDirectory = dataDirectory;
        Management = new RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse>(new RpcClientOptions
        {
            Address = $"127.0.0.1:{Endpoints.ManagementPort}",
            Transport = TransportKind.Tcp,
            Tls = { PinnedCertificatePath = Endpoints.CertificatePath },
            MaxConnections = 8,
            CredentialProvider = () => ServiceToken,
        });
        ServiceToken = TestCredentials.ServiceToken(dataDirectory);
    }

    public CoreEndpoints Endpoints { get; }

    /// <summary>A service token for this core's generated keys (any instance, both protocols).</summary>
    public string ServiceToken { get; }

    public string DataDirectory { get; }

    public string InstanceAddress => $"127.0.0.1:{Endpoints.InstancePort}";

    public string CertificatePath => Endpoints.CertificatePath ?? throw new InvalidOperationException("The core has no development certificate.");

    /// <summary>A management-protocol client (what the environment uses).</summary>
    public RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse> Management { get; }

    public static async Task<CoreHost> StartAsync(string dataDirectory, IDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Runtara:Core:Transport"] = "Auto",
            ["Runtara:Core:InProcessSleepThreshold"] = SleepThreshold.ToString(),
            ["Runtara:Core:ActivityWriteInterval"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        return new CoreHost(await CoreApp.StartAsync(dataDirectory, configuration), dataDirectory);
    }

    /// <summary>SDK options that reach this core over TLS/TCP with its pinned development certificate.</summary>
    public RuntaraInstanceOptions SdkOptions(TransportKind transport = TransportKind.Tcp) => new()
    {
        ServerAddress = InstanceAddress,
        Transport = transport,
        PinnedCertificatePath = CertificatePath,
        Token = ServiceToken,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(30),
    };

    public async ValueTask DisposeAsync()
    {
        await Management.DisposeAsync();
        await _core.StopAsync();
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Core.Hosting;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Sdk.Tests.Infrastructure;

/// <summary>
/// A real core in the test process, composed as its Program.cs does (AddServiceDefaults,
/// AddRuntaraCore), on loopback port 0 with SQLite storage and a development certificate — the
/// same approach as tests/Runtara.Core.Tests' CoreHost, reading the bound ports from the
/// endpoints file the core publishes (CoreServer itself is internal to the core).
/// </summary>
public sealed class CoreHost : IAsyncDisposable
{
    /// <summary>Sleeps of at least this are durable (suspend); shorter ones are waited by the core.</summary>
    public static readonly TimeSpan SleepThreshold = TimeSpan.FromSeconds(1);

    private readonly WebApplication _app;

    private CoreHost(WebApplication app, CoreEndpoints endpoints, string dataDirectory)
    {
        _app = app;
        Endpoints = endpoints;
        DataDirectory = dataDirectory;
        Management = new RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse>(new RpcClientOptions
        {
            Address = $"127.0.0.1:{endpoints.ManagementPort}",
            Transport = TransportKind.Tcp,
            Tls = { PinnedCertificatePath = endpoints.CertificatePath },
            MaxConnections = 8,
            CredentialProvider = () => ServiceToken,
        });
        ServiceToken = TestCredentials.ServiceToken(dataDirectory);
    }

    public CoreEndpoints Endpoints { get; }

    /// <summary>A service token for this core's generated keys (any instance, both protocols).</summary>
    public string ServiceToken { get; }

    public string DataDirectory { get; }

    /// <summary>The core's SQLite file (tests read retry attempts from it; the management protocol has no call for them).</summary>

    public string InstanceAddress => $"127.0.0.1:{Endpoints.InstancePort}";

    public string CertificatePath => Endpoints.CertificatePath ?? throw new InvalidOperationException("The core has no development certificate.");

    /// <summary>A management-protocol client (what the environment uses).</summary>
    public RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse> Management { get; }

    public static async Task<CoreHost> StartAsync(string dataDirectory, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        var configuration = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Runtara:Core:InstancePort"] = "0",
            ["Runtara:Core:ManagementPort"] = "0",
            ["Runtara:Core:BindAddress"] = "127.0.0.1",
            ["Runtara:Core:Transport"] = "Auto",
            ["Runtara:Core:DataDirectory"] = dataDirectory,
            ["Runtara:Core:ShutdownTimeout"] = "00:00:02",
            ["Runtara:Core:InProcessSleepThreshold"] = SleepThreshold.ToString(),
            ["Runtara:Core:ActivityWriteInterval"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddRuntaraCore();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        var endpoints = CoreEndpoints.TryRead(dataDirectory) ?? throw new InvalidOperationException("The core did not publish its endpoints.");
        return new CoreHost(app, endpoints, dataDirectory);
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
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Core.Hosting;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Tests.Infrastructure;

/// <summary>
/// A real core in the test process, composed exactly as Program.cs does (AddServiceDefaults,
/// AddRuntaraCore, MapDefaultEndpoints), bound to port 0 on loopback with real storage and TLS.
/// </summary>
public sealed class CoreHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CoreHost(WebApplication app, CoreEndpoints endpoints, string dataDirectory, Uri http)
    {
        _app = app;
        Endpoints = endpoints;
        DataDirectory = dataDirectory;
        HttpAddress = http;
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

    public IServiceProvider Services => _app.Services;

    public static async Task<CoreHost> StartAsync(string dataDirectory, string? postgresConnectionString = null, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        var configuration = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Runtara:Core:InstancePort"] = "0",
            ["Runtara:Core:ManagementPort"] = "0",
            ["Runtara:Core:BindAddress"] = "127.0.0.1",
            ["Runtara:Core:Transport"] = "Tcp",
            ["Runtara:Core:DataDirectory"] = dataDirectory,
            ["Runtara:Core:PostgresConnectionString"] = postgresConnectionString ?? string.Empty,
            ["Runtara:Core:ShutdownTimeout"] = "00:00:02",
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
        var endpoints = app.Services.GetRequiredService<CoreServer>().Endpoints ?? throw new InvalidOperationException("The core did not publish its endpoints.");
        var http = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new CoreHost(app, endpoints, dataDirectory, http);
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
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

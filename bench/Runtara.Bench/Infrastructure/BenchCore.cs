using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Core.Hosting;
using Runtara.Protocol.Transport;
using Runtara.Sdk;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// A real core in the benchmark process (AddRuntaraCore as its Program.cs composes it, without the
/// HTTP endpoint and the OpenTelemetry defaults, like the core-checkpoints command), SQLite in a fresh data directory on disk
/// (WAL, synchronous=FULL: every commit is fsynced), TLS/TCP on loopback port 0, and an SDK
/// connection to it that pins its development certificate.
/// </summary>
internal sealed class BenchCore : IAsyncDisposable
{
    private readonly IHost _app;

    private BenchCore(IHost app, CoreEndpoints endpoints, string directory)
    {
        _app = app;
        Endpoints = endpoints;
        DataDirectory = directory;
    }

    public CoreEndpoints Endpoints { get; }

    public string DataDirectory { get; }

    public static async Task<BenchCore> StartAsync(string? dataRoot)
    {
        var root = dataRoot ?? Path.Combine(Directory.GetCurrentDirectory(), "bench-data");
        var directory = Path.Combine(Path.GetFullPath(root), $"core-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var builder = ServiceHost.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Runtara:Core:InstancePort"] = "0",
            ["Runtara:Core:ManagementPort"] = "0",
            ["Runtara:Core:BindAddress"] = "127.0.0.1",
            ["Runtara:Core:Transport"] = "Tcp",
            ["Runtara:Core:DataDirectory"] = directory,
        });
        builder.Logging.ClearProviders();
        builder.AddRuntaraCore();
        var app = builder.Build();
        await app.StartAsync();
        var endpoints = CoreEndpoints.TryRead(directory) ?? throw new InvalidOperationException("The core did not publish its endpoints.");
        return new BenchCore(app, endpoints, directory);
    }

    public Task<RuntaraConnection> ConnectAsync() =>
        RuntaraConnection.ConnectAsync(InstanceOptions(Endpoints, BenchCredentials.ServiceToken(DataDirectory)));

    /// <summary>How the benchmark's SDK connections reach a core: TLS/TCP on loopback, its certificate pinned, tracing off.</summary>
    public static RuntaraInstanceOptions InstanceOptions(CoreEndpoints endpoints, string token) => new()
    {
        ServerAddress = $"127.0.0.1:{endpoints.InstancePort}",
        Transport = TransportKind.Tcp,
        PinnedCertificatePath = endpoints.CertificatePath,
        Token = token,
        DisableTracing = true,
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        _app.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

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

    /// <summary>An SDK connection over TLS/TCP, or over the core's instance socket when <paramref name="transport"/> says so.</summary>
    public Task<RuntaraConnection> ConnectAsync(InstanceTransport transport = InstanceTransport.Tcp)
    {
        var options = InstanceOptions(Endpoints, BenchCredentials.ServiceToken(DataDirectory));
        if (transport == InstanceTransport.Unix)
        {
            // How the environment connects the instances it launches on the core's machine (the default).
            options.ServerAddress = $"unix:{Endpoints.InstanceSocket ?? throw new InvalidOperationException("The core publishes no instance socket.")}";
            options.Transport = TransportKind.Unix;
        }

        return RuntaraConnection.ConnectAsync(options);
    }

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

/// <summary>How the workload benchmarks' SDK connections reach the core (<c>--transport tcp|unix</c>).</summary>
internal enum InstanceTransport
{
    /// <summary>TLS over TCP on loopback: an instance on another machine.</summary>
    Tcp,

    /// <summary>The core's Unix domain socket: an instance the environment launched on the core's machine.</summary>
    Unix,
}

/// <summary>The <c>--transport</c> argument of w1, w2 and w3.</summary>
internal static class InstanceTransports
{
    public const string Usage = "[--transport tcp|unix (default tcp: TLS/TCP loopback; unix: the core's instance socket, as launched instances connect)]";

    public static InstanceTransport Parse(BenchArguments arguments) => arguments.GetString("transport", "tcp").ToLowerInvariant() switch
    {
        "tcp" => InstanceTransport.Tcp,
        "unix" => InstanceTransport.Unix,
        var other => throw new ArgumentException($"--transport must be tcp or unix, not '{other}'"),
    };

    public static string Describe(InstanceTransport transport) => transport == InstanceTransport.Unix ? "Unix domain socket" : "TLS/TCP loopback";
}

using Runtara.Core.Hosting;
using Runtara.Testing;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// A real core as its own process (<see cref="ServerProcess"/>: <c>dotnet Runtara.Core.dll</c>, JIT),
/// TLS/TCP on loopback port 0, logging warnings only. Several cores of one deployment must share the
/// token key and the certificate (docs/security.md): start the first, then the others with
/// <see cref="SharedSecrets"/> of it, so one service token and one pinned certificate reach them all.
/// </summary>
internal sealed class CoreProcess : IAsyncDisposable
{
    private CoreProcess(ServerProcess server, CoreEndpoints endpoints, string dataDirectory)
    {
        Server = server;
        Endpoints = endpoints;
        DataDirectory = dataDirectory;
    }

    public ServerProcess Server { get; }

    public CoreEndpoints Endpoints { get; }

    public string DataDirectory { get; }

    /// <summary>Starts a core in <paramref name="dataDirectory"/>; <paramref name="settings"/> add to or override the defaults.</summary>
    public static async Task<CoreProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var all = new Dictionary<string, string>
        {
            ["Runtara:Core:InstancePort"] = "0",
            ["Runtara:Core:ManagementPort"] = "0",
            ["Runtara:Core:BindAddress"] = "127.0.0.1",
            ["Runtara:Core:Transport"] = "Tcp",
            ["Runtara:Core:DataDirectory"] = dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var (server, endpoints) = await ServerProcess.StartAsync("Runtara.Core", dataDirectory, all, () => CoreEndpoints.TryRead(dataDirectory), cancellationToken);
        return new CoreProcess(server, endpoints, dataDirectory);
    }

    /// <summary>The settings that make another core use this one's token key file and development certificate.</summary>
    public IReadOnlyDictionary<string, string> SharedSecrets() => TestCredentials.SharedCoreSecrets(DataDirectory);

    /// <summary>The development certificate clients pin.</summary>
    public string CertificatePath => Endpoints.CertificatePath ?? throw new InvalidOperationException("The core has no development certificate.");

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

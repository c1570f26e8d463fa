using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using Runtara.Management;
using Runtara.Protocol.Transport;

namespace Runtara.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Several real core processes and several real environment processes on one throwaway PostgreSQL
/// database (docs/deployment.md): the cores share the token key and the TLS certificate of the first
/// core, the environments share an API key and the first environment's certificate, and each
/// environment gets every core's address, first core first. Kill any of them with SIGKILL.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private const string ApiKeyName = "cluster";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly PostgresCluster _postgres;
    private readonly ServiceProcess?[] _cores;
    private readonly ServiceProcess?[] _environments;
    private readonly int[] _environmentPorts;
    private readonly string _apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
    private Func<int, string[]> _environmentArguments = _ => [];

    private Cluster(string root, PostgresCluster postgres, int cores, int environments)
    {
        Root = root;
        _postgres = postgres;
        _cores = new ServiceProcess?[cores];
        _environments = new ServiceProcess?[environments];
        _environmentPorts = new int[environments];
    }

    public string Root { get; }

    /// <summary>The one database of the cores and the environments.</summary>
    public string ConnectionString => _postgres.ConnectionString("runtara");

    /// <summary>The id environment <paramref name="index"/> runs under (its runs' owner).</summary>
    public static string EnvironmentId(int index) => $"env-{index + 1}";

    /// <summary>
    /// Starts <paramref name="cores"/> cores and <paramref name="environments"/> environments. The environments' run
    /// leases are short (<paramref name="runLease"/>), so a dead environment's runs are taken over within seconds.
    /// </summary>
    public static async Task<Cluster> StartAsync(int cores, int environments, TimeSpan runLease, params string[] extraEnvironmentArguments)
    {
        var root = Directory.CreateTempSubdirectory("runtara-cluster-").FullName;
        SharedDirectory.MakePassable(root);
        var postgres = await PostgresCluster.StartAsync();
        var cluster = new Cluster(root, postgres, cores, environments);
        try
        {
            await postgres.CreateDatabaseAsync("runtara");
            var instanceAddresses = new List<string>();
            var managementAddresses = new List<string>();
            for (var i = 0; i < cores; i++)
            {
                var (core, endpoints) = await StartCoreAsync(cluster, i);
                cluster._cores[i] = core;
                instanceAddresses.Add($"127.0.0.1:{endpoints.RootElement.GetProperty("instancePort").GetInt32()}");
                managementAddresses.Add($"127.0.0.1:{endpoints.RootElement.GetProperty("managementPort").GetInt32()}");
            }

            cluster._environmentArguments = index =>
            [
                "--Urls=http://127.0.0.1:0", "--Runtara:Environment:Port=0", "--Runtara:Environment:Transport=Tcp",
                $"--Runtara:Environment:DataDirectory={cluster.EnvironmentData(index)}",
                $"--Runtara:Environment:EnvironmentId={EnvironmentId(index)}",
                $"--Runtara:Environment:PostgresConnectionString={cluster.ConnectionString}",
                // A uid block of its own per environment: an environment kills every process of a uid it frees (docs/security.md).
                $"--Runtara:Environment:InstanceUidFirst={310_000 + (8192 * Random.Shared.Next(32)) + (1024 * index)}",
                "--Runtara:Environment:InstanceUidCount=1024",
                $"--Runtara:Environment:CoreAddress={string.Join(',', managementAddresses)}",
                $"--Runtara:Environment:CoreInstanceAddress={string.Join(',', instanceAddresses)}",
                $"--Runtara:Environment:CoreTls:PinnedCertificatePath={cluster.CoreCertificate}",
                $"--Runtara:Environment:Security:KeyFile={TestCredentials.KeyFile(cluster.CoreData(0))}",
                $"--Runtara:Environment:Tls:DevelopmentCertificateDirectory={Path.Combine(cluster.EnvironmentData(0), "tls")}",
                $"--Runtara:Environment:ApiKeys:{ApiKeyName}:Key={cluster._apiKey}", $"--Runtara:Environment:ApiKeys:{ApiKeyName}:Tenants:0=*",
                $"--Runtara:Environment:RunLease={runLease}", $"--Runtara:Environment:RunLeaseRenewInterval={runLease / 3}",
                "--Runtara:Environment:WakeInterval=00:00:00.200", "--Runtara:Environment:HeartbeatInterval=00:00:01",
                "--Runtara:Environment:TerminateGracePeriod=00:00:01", "--Runtara:Environment:ProcessSampleInterval=00:00:00.200",
                .. extraEnvironmentArguments,
            ];
            for (var i = 0; i < environments; i++)
            {
                await cluster.StartEnvironmentAsync(i);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string CoreData(int index) => Path.Combine(Root, $"core-{index + 1}");

    public string EnvironmentData(int index) => Path.Combine(Root, $"env-{index + 1}");

    /// <summary>The certificate every core presents (the first core's development certificate).</summary>
    public string CoreCertificate => Path.Combine(CoreData(0), "tls", "runtara-dev.crt");

    /// <summary>A management client of environment <paramref name="index"/>.</summary>
    public RuntaraManagementClient Client(int index) => new(new ManagementClientOptions
    {
        ApiKey = _apiKey,
        Address = $"127.0.0.1:{_environmentPorts[index]}",
        Transport = TransportKind.Tcp,
        PinnedCertificatePath = Path.Combine(EnvironmentData(0), "tls", "runtara-dev.crt"),
        RequestTimeout = TimeSpan.FromSeconds(60),
    });

    public string EnvironmentOutput(int index) => _environments[index]?.Output ?? "(not running)";

    public string CoreOutput(int index) => _cores[index]?.Output ?? "(not running)";

    /// <summary>SIGKILLs core <paramref name="index"/>.</summary>
    public async Task KillCoreAsync(int index)
    {
        if (_cores[index] is { } core)
        {
            await core.KillAsync();
            await core.DisposeAsync();
            _cores[index] = null;
        }
    }

    /// <summary>
    /// A machine failure under environment <paramref name="index"/>: SIGKILL of the environment and of every instance
    /// process it launched (they run the images under its data directory); returns how many instance processes died.
    /// </summary>
    public async Task<int> KillEnvironmentAndItsInstancesAsync(int index)
    {
        if (_environments[index] is { } environment)
        {
            await environment.KillAsync();
            await environment.DisposeAsync();
            _environments[index] = null;
        }

        // The separator keeps env-1 from matching env-10.
        return LeftoverProcesses.KillMentioning(EnvironmentData(index) + Path.DirectorySeparatorChar);
    }

    /// <summary>Pending or running runs the database says environment <paramref name="index"/> owns.</summary>
    public async Task<long> ActiveRunsOwnedByAsync(int index)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM runs WHERE owner_id = @owner AND status IN ('pending', 'running')", connection);
        command.Parameters.AddWithValue("owner", EnvironmentId(index));
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _environments.Concat(_cores))
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        LeftoverProcesses.KillMentioning(Root);
        await _postgres.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartEnvironmentAsync(int index)
    {
        var data = Directory.CreateDirectory(EnvironmentData(index)).FullName;
        (_environments[index], _environmentPorts[index]) = await Platform.StartEnvironmentOnAsync(data, _environmentArguments(index));
    }

    private static Task<(ServiceProcess Core, System.Text.Json.JsonDocument Endpoints)> StartCoreAsync(Cluster cluster, int index)
    {
        var data = Directory.CreateDirectory(cluster.CoreData(index)).FullName;
        string[] shared = index == 0 ? [] : [.. TestCredentials.SharedCoreSecrets(cluster.CoreData(0)).Select(s => $"--{s.Key}={s.Value}")];
        return Platform.StartCoreAsync(data, 0, 0, [$"--Runtara:Core:PostgresConnectionString={cluster.ConnectionString}", .. shared]);
    }
}

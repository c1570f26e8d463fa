using Runtara.Sdk;
using Runtara.Testing;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// N cores as their own processes over one database: a PostgreSQL given by connection string, or a
/// throwaway cluster this starts (tests/Runtara.Testing's <see cref="PostgresCluster"/>: initdb and
/// pg_ctl, fsync=on, synchronous_commit=on); or, for one core, its own SQLite file. The first core
/// generates the token key and the development certificate, the others start with them
/// (<see cref="CoreProcess.SharedSecrets"/>), one after another so they never race to create them.
/// </summary>
internal sealed class CoreGroup : IAsyncDisposable
{
    private readonly List<CoreProcess> _cores = [];
    private readonly string _directory;
    private PostgresCluster? _cluster;

    private CoreGroup(string directory) => _directory = directory;

    public IReadOnlyList<CoreProcess> Cores => _cores;

    /// <summary>What the cores store in, for the result table.</summary>
    public string Storage { get; private set; } = "sqlite (WAL, synchronous=FULL)";

    /// <summary>
    /// Starts <paramref name="count"/> cores under <paramref name="dataRoot"/>. <paramref name="postgres"/>:
    /// null for SQLite (one core only), empty for a throwaway PostgreSQL cluster, else a connection string.
    /// </summary>
    public static async Task<CoreGroup> StartAsync(int count, string? postgres, string dataRoot, CancellationToken cancellationToken)
    {
        if (postgres is null && count != 1)
        {
            throw new ArgumentException("Several cores need one shared database: add --db postgres.");
        }

        var group = new CoreGroup(Path.Combine(Path.GetFullPath(dataRoot), $"cores-{Guid.NewGuid():N}"));
        try
        {
            var settings = new Dictionary<string, string>();
            if (postgres is not null)
            {
                if (postgres.Length == 0)
                {
                    Console.WriteLine("starting a throwaway PostgreSQL cluster…");
                    group._cluster = await PostgresCluster.StartAsync(cancellationToken);
                    await group._cluster.CreateDatabaseAsync("bench", cancellationToken);
                    postgres = group._cluster.ConnectionString("bench");
                }

                settings["Runtara:Core:PostgresConnectionString"] = postgres;
                group.Storage = group._cluster is null ? "postgresql (given)" : "postgresql (throwaway cluster, fsync=on, synchronous_commit=on)";
            }

            for (var i = 0; i < count; i++)
            {
                var core = await CoreProcess.StartAsync(Path.Combine(group._directory, $"core-{i}"), settings, cancellationToken);
                group._cores.Add(core);
                if (i == 0)
                {
                    foreach (var (key, value) in core.SharedSecrets())
                    {
                        settings[key] = value;
                    }
                }
            }

            return group;
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
    }

    /// <summary>One SDK connection per core, all with the first core's service token (the keys are shared).</summary>
    public async Task<RuntaraConnection[]> ConnectAllAsync()
    {
        var token = BenchCredentials.ServiceToken(_cores[0].DataDirectory);
        var connections = new List<RuntaraConnection>();
        foreach (var core in _cores)
        {
            connections.Add(await RuntaraConnection.ConnectAsync(BenchCore.InstanceOptions(core.Endpoints, token)));
        }

        return [.. connections];
    }

    /// <summary>CPU time of each core so far (/proc), to divide by the operations of a window.</summary>
    public TimeSpan[] CpuTimes() => [.. _cores.Select(core => ProcFs.CpuTime(core.Server.Id)?.Self ?? TimeSpan.Zero)];

    public async ValueTask DisposeAsync()
    {
        foreach (var core in _cores)
        {
            await core.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        SampleImage.DeleteData(_directory);
    }
}

using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Bench.Infrastructure;
using Runtara.Core.Hosting;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>core-checkpoints</c>: fresh checkpoints (save-if-absent of a new key, durably committed)
/// against a real core hosted in-process on real storage (a SQLite file with WAL + synchronous=FULL,
/// or PostgreSQL), over TLS/TCP on loopback. Each of N callers drives its own instance.
/// </summary>
internal sealed class CoreCheckpointsCommand : IBenchCommand
{
    public string Name => "core-checkpoints";

    public string Usage => "--db sqlite|postgres --concurrency N --count M [--size BYTES=1024] [--warmup N=2000 (calls per warm-up round; rounds repeat until the JIT is quiet; 0: none)] [--postgres CONNECTION_STRING] [--data DIR]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var db = arguments.GetString("db", "sqlite").ToLowerInvariant();
        var concurrency = Math.Max(1, arguments.GetInt("concurrency", 1));
        var count = Math.Max(concurrency, arguments.GetInt("count", 20_000));
        var size = arguments.GetInt("size", 1024);
        var warmup = arguments.GetInt("warmup", 2_000);
        var postgres = arguments.GetString("postgres", System.Environment.GetEnvironmentVariable("RUNTARA_BENCH_POSTGRES") ?? string.Empty);
        var dataOption = arguments.GetString("data", string.Empty);
        arguments.EnsureAllRead();
        if (db is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException($"--db must be sqlite or postgres, got '{db}'.");
        }

        if (db == "postgres" && string.IsNullOrWhiteSpace(postgres))
        {
            throw new ArgumentException("--db postgres needs --postgres \"Host=…;Port=…;Username=…;Database=…\" (or RUNTARA_BENCH_POSTGRES).");
        }

        // The data directory holds the SQLite file: by default a fresh one on the same disk as the working directory.
        var dataDirectory = string.IsNullOrEmpty(dataOption)
            ? Path.Combine(Directory.GetCurrentDirectory(), "bench-data", $"core-{Guid.NewGuid():N}")
            : Path.GetFullPath(dataOption);
        Directory.CreateDirectory(dataDirectory);
        try
        {
            using var host = BuildCore(dataDirectory, db == "postgres" ? postgres : string.Empty);
            await host.StartAsync(cancellationToken);
            var endpoints = CoreEndpoints.TryRead(dataDirectory) ?? throw new InvalidOperationException("The core did not write its endpoints file.");
            var token = BenchCredentials.ServiceToken(dataDirectory);
            await using var client = InstanceRpc.Client(endpoints, token, concurrency);

            var run = Guid.NewGuid().ToString("N")[..8];
            var instances = Enumerable.Range(0, concurrency).Select(w => $"bench-{run}-{w}").ToArray();
            foreach (var instance in instances)
            {
                await InstanceRpc.RegisterAsync(client, instance, cancellationToken);
            }

            var state = InstanceRpc.State(size);
            Func<int, int, CancellationToken, Task> Checkpoint(string phase) => (worker, index, token) =>
                InstanceRpc.FreshCheckpointAsync(client, instances[worker], $"{phase}-{index}", state, token);

            var warmedUp = await WarmUp.RunAsync(warmup > 0 ? 1 : 0, round =>
                LatencyRecorder.RunAsync(concurrency, Math.Max(1, warmup / concurrency), Checkpoint($"warmup{round}"), cancellationToken));
            var (recorder, elapsed) = await LatencyRecorder.RunAsync(concurrency, count / concurrency, Checkpoint("step"), cancellationToken);
            await host.StopAsync(cancellationToken);
            recorder.Summarize(elapsed).Print(
                "Runtara core: fresh checkpoints, durably committed",
                [
                    ("storage", db == "sqlite" ? "sqlite (WAL, synchronous=FULL)" : "postgresql (synchronous_commit=on)"),
                    ("transport", client.Transport.ToString()),
                    ("concurrency", concurrency.ToString(CultureInfo.InvariantCulture)),
                    ("state", $"{size} B"),
                    ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                    warmedUp,
                ]);
            return 0;
        }
        finally
        {
            if (string.IsNullOrEmpty(dataOption))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    /// <summary>The core composed as its Program.cs does (without the HTTP endpoint), ports picked by the OS.</summary>
    private static IHost BuildCore(string dataDirectory, string postgres)
    {
        var builder = ServiceHost.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Runtara:Core:InstancePort"] = "0",
            ["Runtara:Core:ManagementPort"] = "0",
            ["Runtara:Core:Transport"] = "Tcp",
            ["Runtara:Core:DataDirectory"] = dataDirectory,
            ["Runtara:Core:PostgresConnectionString"] = postgres,
        });
        builder.Logging.ClearProviders();
        builder.AddRuntaraCore();
        return builder.Build();
    }
}

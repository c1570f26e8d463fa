using System.Diagnostics;
using System.Globalization;
using Runtara.Bench.Infrastructure;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>idle-connections</c> (issue 17): N instances (default 10,000) register with one core, run as its
/// own process, each over a connection of its own (one client per instance, so nothing is pooled or
/// shared), and then hold it open sending nothing, no heartbeats. Meanwhile one extra instance saves
/// fresh checkpoints one after another; its latency is compared with the same measurement before the
/// connections opened (the idle figure) and after they closed. The core's resident memory is read
/// from /proc. The contract line adds <c>rss_mib</c>: the core's RSS with all connections open.
/// </summary>
internal sealed class IdleConnectionsCommand : IBenchCommand
{
    /// <summary>Time for the core to finish the handshakes' work before its memory is read.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    /// <summary>Descriptors a process needs besides the connections (assemblies, the database, listeners).</summary>
    private const int SpareFiles = 256;

    public string Name => "idle-connections";

    public string Usage => "[--count N=10000 (idle connections, one registered instance each)] [--checkpoints M=2000 (sequential checkpoints of the extra instance per measurement)] [--size BYTES=1024] [--warmup M=1000 (checkpoints per warm-up round; at least 3 rounds, more until the JIT is quiet; 0: none)] [--transport tcp|unix (default tcp: TLS; unix: the core's instance socket, plain, as instances on its machine connect)] [--connect-concurrency N=32] [--hold-s S=0 (keep the connections open S s more after measuring, e.g. for dotnet-gcdump of the core)] [--data DIR=./bench-data]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var count = arguments.GetInt("count", 10_000);
        var checkpoints = Math.Max(1, arguments.GetInt("checkpoints", 2000));
        var size = arguments.GetInt("size", 1024);
        var warmup = arguments.GetInt("warmup", 1000);
        var connectConcurrency = Math.Max(1, arguments.GetInt("connect-concurrency", 32));
        var hold = TimeSpan.FromSeconds(arguments.GetInt("hold-s", 0));
        var unix = arguments.GetString("transport", "tcp").ToLowerInvariant() switch
        {
            "tcp" => false,
            "unix" => true,
            var other => throw new ArgumentException($"--transport must be tcp or unix, got '{other}'."),
        };
        var data = Path.Combine(Path.GetFullPath(arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data"))), $"idle-connections-{Guid.NewGuid():N}");
        arguments.EnsureAllRead();

        // .NET raises its soft limit to the hard one at start, and the core inherits it: only the hard limit can be short.
        var needed = count + SpareFiles;
        if (ProcFs.OpenFilesLimit(System.Environment.ProcessId) is { } ownLimit && ownLimit < needed)
        {
            throw new ArgumentException($"--count {count} needs about {needed} open files; the limit is {ownLimit}. Raise the hard limit (ulimit -Hn, or LimitNOFILE=) first.");
        }

        // One connection more than the idle ones (the measuring instance); the default, 10,000, would refuse it.
        var maxConnections = Math.Max(10_000, count + 100);
        await using var core = await CoreProcess.StartAsync(data, new Dictionary<string, string>
        {
            ["Runtara:Core:MaxConnections"] = maxConnections.ToString(CultureInfo.InvariantCulture),
        }, cancellationToken);
        var pid = core.Server.Id;
        try
        {
            var coreLimit = ProcFs.OpenFilesLimit(pid);
            if (coreLimit < needed)
            {
                throw new InvalidOperationException($"The core may open only {coreLimit} files, {count} connections need about {needed}.");
            }

            var credential = BenchCredentials.ServiceToken(data);
            var run = Guid.NewGuid().ToString("N")[..8];
            await using var probe = InstanceRpc.Client(core.Endpoints, credential, maxConnections: 1, unix);
            var probeId = $"idle-{run}-probe";
            await InstanceRpc.RegisterAsync(probe, probeId, cancellationToken);
            var state = InstanceRpc.State(size);
            async Task<LatencySummary> MeasureAsync(string phase, int calls)
            {
                var (recorder, elapsed) = await LatencyRecorder.RunAsync(1, calls, (_, index, token) => InstanceRpc.FreshCheckpointAsync(probe, probeId, $"{phase}-{index}", state, token), cancellationToken);
                return recorder.Summarize(elapsed);
            }

            // The warm-up watches the benchmark's JIT only; the core's hot path is warm after the same rounds.
            var warmedUp = await WarmUp.RunAsync(warmup > 0 ? 3 : 0, round => MeasureAsync($"warmup{round}", warmup));
            var before = Snapshot.Read(pid);
            var idle = await MeasureAsync("idle", checkpoints);

            Console.WriteLine($"opening {count} connections to the core (pid {pid}), {connectConcurrency} at a time…");
            var clients = new RpcClient<RpcRequest, RpcResponse>?[count];
            Snapshot open, measured;
            LatencySummary connected;
            TimeSpan opening;
            try
            {
                var began = Stopwatch.GetTimestamp();
                await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = connectConcurrency, CancellationToken = cancellationToken }, async (index, token) =>
                {
                    var client = clients[index] = InstanceRpc.Client(core.Endpoints, credential, maxConnections: 1, unix);
                    await InstanceRpc.RegisterAsync(client, $"idle-{run}-{index}", token);
                });
                opening = Stopwatch.GetElapsedTime(began);
                await Task.Delay(Settle, cancellationToken);
                open = Snapshot.Read(pid);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} connections open after {opening.TotalSeconds:0.0} s; core RSS {Mib(open.Rss)} MiB; measuring…"));
                connected = await MeasureAsync("connected", checkpoints);
                measured = Snapshot.Read(pid);
                if (hold > TimeSpan.Zero)
                {
                    Console.WriteLine($"holding the connections open for {hold.TotalSeconds:0} s…");
                    await Task.Delay(hold, cancellationToken);
                }
            }
            finally
            {
                foreach (var client in clients)
                {
                    if (client is not null)
                    {
                        await client.DisposeAsync();
                    }
                }
            }

            await Task.Delay(Settle, cancellationToken);
            var closed = Snapshot.Read(pid);
            var after = await MeasureAsync("after", checkpoints);

            var rssOpen = Math.Max(open.Rss ?? 0, measured.Rss ?? 0);
            double PerThousand(long? with, long? without) => with is { } w && without is { } o && count > 0 ? (w - o) / 1048576.0 / count * 1000 : double.NaN;
            var slower = connected.P50Us / idle.P50Us - 1;
            var rssMet = rssOpen <= 300L * 1024 * 1024;
            connected.Print(
                $"Runtara idle-connections: N registered instances each holding an idle connection ({(unix ? "unix socket" : "TLS/TCP")}) to one core process; checkpoints of one more instance meanwhile (sequential, fresh keys, durably committed)",
                [
                    ("idle connections", string.Create(CultureInfo.InvariantCulture, $"{count:N0} (one client and connection per instance, registered, then silent)")),
                    ("core", string.Create(CultureInfo.InvariantCulture, $"own process (JIT, server GC), sqlite, {(unix ? "unix socket" : "tls/tcp")}, MaxConnections {maxConnections}, open-files limit {coreLimit}")),
                    ("connecting (register each)", string.Create(CultureInfo.InvariantCulture, $"{opening.TotalSeconds:0.0} s ({count / Math.Max(opening.TotalSeconds, 0.001):0} /s, {connectConcurrency} at a time)")),
                    ("core open files: before / open / closed", $"{before.Files} / {open.Files} / {closed.Files}"),
                    ("core RSS MiB: before / open / after measuring / closed", $"{Mib(before.Rss)} / {Mib(open.Rss)} / {Mib(measured.Rss)} / {Mib(closed.Rss)}"),
                    ("core RssAnon MiB: before / open / closed", $"{Mib(before.Anonymous)} / {Mib(open.Anonymous)} / {Mib(closed.Anonymous)}"),
                    ("RSS per 1,000 connections", string.Create(CultureInfo.InvariantCulture, $"{PerThousand(open.Rss, before.Rss):0.00} MiB (anonymous {PerThousand(open.Anonymous, before.Anonymous):0.00} MiB)")),
                    ("idle figure (no connections): p50 / p99 / per s", Figures(idle)),
                    ("after closing them: p50 / p99 / per s", Figures(after)),
                    ("p50 with connections vs idle", string.Create(CultureInfo.InvariantCulture, $"{slower:+0.0%;-0.0%}")),
                    ("goal: RSS <= 300 MiB, p50 within 20 %", $"{(rssMet ? "RSS met" : "RSS NOT met")}, {(Math.Abs(slower) <= 0.2 ? "p50 met" : "p50 NOT met")}"),
                    ("processors, load average (1 min)", $"{System.Environment.ProcessorCount}, {ProcFs.LoadAverage()}"),
                    warmedUp,
                ],
                string.Create(CultureInfo.InvariantCulture, $"rss_mib={rssOpen / 1048576.0:0}"));
            return 0;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"--- end of the core's log ({core.Server.LogPath}):\n{core.Server.LogTail()}");
            throw;
        }
        finally
        {
            await core.DisposeAsync();
            SampleImage.DeleteData(data);
        }
    }

    private static string Figures(LatencySummary s) => string.Create(CultureInfo.InvariantCulture, $"{s.P50Us:0} / {s.P99Us:0} us / {s.PerSecond:0}");

    private static string Mib(long? bytes) => bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b / 1048576.0:0.0}") : "?";

    /// <summary>The core's memory and open descriptors at one moment.</summary>
    private readonly record struct Snapshot(long? Rss, long? Anonymous, int? Files)
    {
        public static Snapshot Read(int pid) => new(ProcFs.ResidentBytes(pid), ProcFs.StatusBytes(pid, "RssAnon"), ProcFs.OpenFiles(pid));
    }
}

using System.Diagnostics;
using System.Globalization;
using Runtara.Bench.Infrastructure;
using Runtara.Sdk;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>w2</c>: M instances (default 2,000) of N durable steps (default 10, 1 KiB results), C in flight
/// (default 64), through the SDK against a real core on SQLite. Latency figures are per instance
/// (register to COMPLETED); the contract line's <c>per_s</c> is steps per second.
/// With <c>--cores N</c> (issue 17) the cores run as N processes of their own over one PostgreSQL
/// database (<c>--db postgres</c>; SQLite allows one), sharing token key and certificate, and the
/// instances go to them round-robin; without it, one core runs in the benchmark process as before.
/// </summary>
internal sealed class W2Command : IBenchCommand
{
    public string Name => "w2";

    public string Usage => "[--instances M=2000] [--steps N=10] [--concurrency C=64] [--size BYTES=1024] [--warmup M=200 (instances per warm-up round; rounds repeat until the JIT is quiet; 0: none)] [--cores N (N core processes, instances round-robin; default: one core in this process)] [--db sqlite|postgres (default sqlite; postgres: core processes, one database)] [--postgres CONNECTION_STRING (default RUNTARA_BENCH_POSTGRES, else a throwaway cluster)] [--data DIR=./bench-data] " + InstanceTransports.Usage + " (in-process core only)";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var instances = Math.Max(1, arguments.GetInt("instances", 2000));
        var steps = Math.Max(1, arguments.GetInt("steps", 10));
        var concurrency = Math.Max(1, arguments.GetInt("concurrency", 64));
        var size = arguments.GetInt("size", 1024);
        var warmup = arguments.GetInt("warmup", 200);
        var data = arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data"));
        var cores = arguments.GetInt("cores", 0);
        var db = arguments.GetString("db", "sqlite").ToLowerInvariant();
        var postgres = arguments.GetString("postgres", System.Environment.GetEnvironmentVariable("RUNTARA_BENCH_POSTGRES") ?? string.Empty);
        var transport = InstanceTransports.Parse(arguments);
        arguments.EnsureAllRead();
        if (db is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException($"--db must be sqlite or postgres, got '{db}'.");
        }

        // Core processes when asked for by count or by PostgreSQL; otherwise the in-process core of old.
        var separate = cores > 0 || db == "postgres";
        if (separate && transport != InstanceTransport.Tcp)
        {
            throw new ArgumentException("--transport unix needs the in-process core (no --cores, --db sqlite).");
        }

        cores = Math.Max(1, cores);
        await using var inProcess = separate ? null : await BenchCore.StartAsync(data);
        await using var group = separate ? await CoreGroup.StartAsync(cores, db == "postgres" ? postgres : null, data, cancellationToken) : null;
        var connections = group is null ? [await inProcess!.ConnectAsync(transport)] : await group.ConnectAllAsync();
        try
        {
            return await RunAsync(connections, group, transport, instances, steps, concurrency, size, warmup, cancellationToken);
        }
        catch (Exception) when (group is not null && !cancellationToken.IsCancellationRequested)
        {
            foreach (var core in group.Cores)
            {
                await Console.Error.WriteLineAsync($"--- end of the core's log ({core.Server.LogPath}):\n{core.Server.LogTail()}");
            }

            throw;
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>The cores' CPU per instance over the window, in all and per core (showing the instances reached every core).</summary>
    private static string CoreCpuPerInstance(TimeSpan[] after, TimeSpan[] before, int instances)
    {
        var each = after.Select((cpu, i) => (cpu - before[i]).TotalMicroseconds / instances).ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"{each.Sum():0.0} us = {string.Join(" + ", each.Select(us => us.ToString("0.0", CultureInfo.InvariantCulture)))}");
    }

    private static async Task<int> RunAsync(RuntaraConnection[] connections, CoreGroup? group, InstanceTransport transport, int instances, int steps, int concurrency, int size, int warmup, CancellationToken cancellationToken)
    {
        var payload = WorkflowBench.Payload(size);
        Workflow<BenchInput, int> workflow = async (ctx, input, ct) =>
        {
            for (var i = 0; i < input.Steps; i++)
            {
                await ctx.StepAsync(StepKey.For("step", i), _ => Task.FromResult(payload), BenchJson.Default.String, RetryPolicy.None, ct);
            }

            return input.Steps;
        };

        async Task<(LatencyRecorder Recorder, TimeSpan Elapsed)> RunAllAsync(int count)
        {
            var recorder = new LatencyRecorder(concurrency, count);
            var next = -1;
            var usage = ProcessUsage.Now();
            var clock = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < count)
                {
                    var started = Stopwatch.GetTimestamp();
                    var outcome = await connections[index % connections.Length].RunAsync(workflow, new BenchInput(steps, size), BenchJson.Default.Int32, new InstanceIdentity(WorkflowBench.InstanceId("w2", index), "bench"), cancellationToken);
                    if (outcome.Status != WorkflowStatus.Completed)
                    {
                        throw new InvalidOperationException($"Instance {outcome.InstanceId} ended {outcome.Status}: {outcome.Error}");
                    }

                    recorder.Record(worker, started);
                }
            }, cancellationToken));
            await Task.WhenAll(workers);
            var elapsed = clock.Elapsed;
            recorder.SetUsage(ProcessUsage.Since(usage));
            return (recorder, elapsed);
        }

        var warmedUp = await WarmUp.RunAsync(warmup > 0 ? 1 : 0, _ => RunAllAsync(warmup));

        var coreCpu = group?.CpuTimes();
        var (measured, elapsed) = await RunAllAsync(instances);
        var summary = measured.Summarize(elapsed);
        var totalSteps = (double)instances * steps;
        IEnumerable<(string, string)> separate = group is null ? [] :
        [
            ("core processes", string.Create(CultureInfo.InvariantCulture, $"{group.Cores.Count} (JIT), instances round-robin")),
            ("storage", group.Storage),
            ("cpu/op (cores: all = each)", CoreCpuPerInstance(group.CpuTimes(), coreCpu!, instances)),
        ];
        (summary with { PerSecond = totalSteps / elapsed.TotalSeconds }).Print(
            group is null
                ? "w2: many instances of durable steps in parallel (SDK -> core, SQLite, fsync per commit); latency per instance, throughput in steps/s"
                : "w2: many instances of durable steps in parallel (SDK -> core processes, one database, durable commits); latency per instance, throughput in steps/s",
            [
                .. separate,
                ("instances", instances.ToString(CultureInfo.InvariantCulture)),
                ("steps per instance", steps.ToString(CultureInfo.InvariantCulture)),
                ("in flight", concurrency.ToString(CultureInfo.InvariantCulture)),
                ("result size", $"{size} B"),
                ("transport", InstanceTransports.Describe(transport)),
                ("instances/s", (instances / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture)),
                ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                warmedUp,
            ]);
        return 0;
    }
}

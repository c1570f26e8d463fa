using System.Diagnostics;
using System.Globalization;
using Runtara.Bench.Infrastructure;
using Runtara.Sdk;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>w2</c>: M instances (default 2,000) of N durable steps (default 10, 1 KiB results), C in flight
/// (default 64), through the SDK against a real core on SQLite. Latency figures are per instance
/// (register to COMPLETED); the contract line's <c>per_s</c> is steps per second.
/// </summary>
internal sealed class W2Command : IBenchCommand
{
    public string Name => "w2";

    public string Usage => "[--instances M=2000] [--steps N=10] [--concurrency C=64] [--size BYTES=1024] [--warmup M=200 (instances per warm-up round; rounds repeat until the JIT is quiet; 0: none)] [--data DIR=./bench-data]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var instances = Math.Max(1, arguments.GetInt("instances", 2000));
        var steps = Math.Max(1, arguments.GetInt("steps", 10));
        var concurrency = Math.Max(1, arguments.GetInt("concurrency", 64));
        var size = arguments.GetInt("size", 1024);
        var warmup = arguments.GetInt("warmup", 200);
        var data = arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data"));
        arguments.EnsureAllRead();

        await using var core = await BenchCore.StartAsync(data);
        await using var connection = await core.ConnectAsync();
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
                    var outcome = await connection.RunAsync(workflow, new BenchInput(steps, size), BenchJson.Default.Int32, new InstanceIdentity(WorkflowBench.InstanceId("w2", index), "bench"), cancellationToken);
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

        var (measured, elapsed) = await RunAllAsync(instances);
        var summary = measured.Summarize(elapsed);
        var totalSteps = (double)instances * steps;
        (summary with { PerSecond = totalSteps / elapsed.TotalSeconds }).Print(
            "w2: many instances of durable steps in parallel (SDK -> core, SQLite, fsync per commit); latency per instance, throughput in steps/s",
            [
                ("instances", instances.ToString(CultureInfo.InvariantCulture)),
                ("steps per instance", steps.ToString(CultureInfo.InvariantCulture)),
                ("in flight", concurrency.ToString(CultureInfo.InvariantCulture)),
                ("result size", $"{size} B"),
                ("instances/s", (instances / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture)),
                ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                warmedUp,
            ]);
        return 0;
    }
}

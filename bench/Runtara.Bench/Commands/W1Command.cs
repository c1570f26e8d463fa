using System.Diagnostics;
using System.Globalization;
using Runtara.Bench.Infrastructure;
using Runtara.Sdk;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>w1</c>: one instance runs N sequential durable steps (default 1,000) with 1 KiB results
/// through the SDK against a real core on SQLite; reports the per-step latency.
/// </summary>
internal sealed class W1Command : IBenchCommand
{
    public string Name => "w1";

    public string Usage => "[--steps N=1000] [--size BYTES=1024] [--warmup N=300 (steps per warm-up instance; instances repeat until the JIT is quiet; 0: none)] [--data DIR=./bench-data] " + InstanceTransports.Usage;

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var steps = Math.Max(1, arguments.GetInt("steps", 1000));
        var size = arguments.GetInt("size", 1024);
        var warmup = arguments.GetInt("warmup", 300);
        var data = arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data"));
        var transport = InstanceTransports.Parse(arguments);
        arguments.EnsureAllRead();

        await using var core = await BenchCore.StartAsync(data);
        await using var connection = await core.ConnectAsync(transport);
        var payload = WorkflowBench.Payload(size);

        async Task<LatencyRecorder> RunInstanceAsync(int count)
        {
            var recorder = new LatencyRecorder(1, count);
            var outcome = await connection.RunAsync<BenchInput, int>(
                async (ctx, input, ct) =>
                {
                    for (var i = 0; i < input.Steps; i++)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await ctx.StepAsync(StepKey.For("step", i), _ => Task.FromResult(payload), BenchJson.Default.String, RetryPolicy.None, ct);
                        recorder.Record(0, started);
                    }

                    return input.Steps;
                },
                new BenchInput(count, size),
                BenchJson.Default.Int32,
                new InstanceIdentity(WorkflowBench.InstanceId("w1", 0), "bench"),
                cancellationToken);
            if (outcome.Status != WorkflowStatus.Completed)
            {
                throw new InvalidOperationException($"The benchmark instance ended {outcome.Status}: {outcome.Error}");
            }

            return recorder;
        }

        var warmedUp = await WarmUp.RunAsync(warmup > 0 ? 1 : 0, _ => RunInstanceAsync(warmup));

        var usage = ProcessUsage.Now();
        var clock = Stopwatch.StartNew();
        var measured = await RunInstanceAsync(steps);
        var elapsed = clock.Elapsed;
        measured.SetUsage(ProcessUsage.Since(usage));
        measured.Summarize(elapsed).Print(
            "w1: one instance, sequential durable steps (SDK -> core, SQLite, fsync per commit)",
            [
                ("steps", steps.ToString(CultureInfo.InvariantCulture)),
                ("result size", $"{size} B"),
                ("transport", InstanceTransports.Describe(transport)),
                ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                warmedUp,
            ]);
        return 0;
    }
}

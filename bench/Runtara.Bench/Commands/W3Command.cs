using System.Diagnostics;
using System.Globalization;
using Runtara.Bench.Infrastructure;
using Runtara.Sdk;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>w3</c>: N times in sequence (default 200), start an instance with one trivial step in this
/// process (already connected to the core) and wait for its result: register, step checkpoint,
/// COMPLETED. The process-launch variant belongs to the environment issue.
/// </summary>
internal sealed class W3Command : IBenchCommand
{
    public string Name => "w3";

    public string Usage => "[--count N=200] [--warmup N=50 (instances per warm-up round; rounds repeat until the JIT is quiet; 0: none)] [--data DIR=./bench-data] " + InstanceTransports.Usage;

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, arguments.GetInt("count", 200));
        var warmup = arguments.GetInt("warmup", 50);
        var data = arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data"));
        var transport = InstanceTransports.Parse(arguments);
        arguments.EnsureAllRead();

        await using var core = await BenchCore.StartAsync(data);
        await using var connection = await core.ConnectAsync(transport);
        Workflow<BenchInput, int> workflow = (ctx, _, ct) =>
            ctx.StepAsync("trivial", _ => Task.FromResult(1), BenchJson.Default.Int32, RetryPolicy.None, ct);

        async Task OneAsync(int worker, int index, CancellationToken token)
        {
            var outcome = await connection.RunAsync(workflow, new BenchInput(1, 0), BenchJson.Default.Int32, new InstanceIdentity(WorkflowBench.InstanceId("w3", index), "bench"), token);
            if (outcome.Status != WorkflowStatus.Completed || outcome.Result != 1)
            {
                throw new InvalidOperationException($"Instance {outcome.InstanceId} ended {outcome.Status}: {outcome.Error}");
            }
        }

        var warmedUp = await WarmUp.RunAsync(warmup > 0 ? 1 : 0, _ => LatencyRecorder.RunAsync(1, warmup, OneAsync, cancellationToken));

        var (recorder, elapsed) = await LatencyRecorder.RunAsync(1, count, OneAsync, cancellationToken);
        recorder.Summarize(elapsed).Print(
            "w3: start an in-process instance with one trivial step and wait for its result, in sequence",
            [
                ("instances", count.ToString(CultureInfo.InvariantCulture)),
                ("transport", InstanceTransports.Describe(transport)),
                ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                warmedUp,
            ]);
        return 0;
    }
}

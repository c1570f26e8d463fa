using System.Text.Json.Serialization;
using Runtara.Sdk;
using Runtara.Sdk.TestWorkflow;

// Runs CountingWorkflow as the instance named by the launch contract's environment variables.
// Every step body appends a line to <CounterDirectory>/<step>.count before it does its work, so a
// test can count executions from outside the process, across kill -9 and relaunch. With
// RUNTARA_EMBEDDED_DB it runs on the embedded engine instead of a core. RUNTARA_TEST_WORKFLOW=host-stop
// runs HostStopWorkflow instead, under a generic host.
if (Environment.GetEnvironmentVariable(HostStopWorkflow.ModeVariable) == HostStopWorkflow.Mode)
{
    return await HostStopWorkflow.RunHostedAsync(args);
}

return await RuntaraWorkflow.RunAsync<CountingInput, CountingOutput>(
    CountingWorkflow.RunAsync,
    TestWorkflowJson.Default.CountingInput,
    TestWorkflowJson.Default.CountingOutput,
    RuntaraInstanceOptions.FromEnvironment().UseEmbeddedEngine());

namespace Runtara.Sdk.TestWorkflow
{
    // HoldFile (optional): while that file exists, the run waits before step HoldAtStep (outside any
    // step), so a test can line many instances up mid-run and release them all at once.
    // ChildImage/Children (optional): after its steps the run starts that many children of the image
    // (one step each), waits for all of them and adds their sums to its own.
    public sealed record CountingInput(int Steps, int StepDelayMs, string CounterDirectory, string? HoldFile = null, int HoldAtStep = 0, string? ChildImage = null, int Children = 0, int ChildStepDelayMs = 0);

    public sealed record CountingOutput(int Steps, long Sum);

    public static class CountingWorkflow
    {
        public static async Task<CountingOutput> RunAsync(WorkflowContext context, CountingInput input, CancellationToken cancellationToken)
        {
            long sum = 0;
            for (var i = 0; i < input.Steps; i++)
            {
                if (i == input.HoldAtStep && input.HoldFile is { } hold)
                {
                    while (File.Exists(hold))
                    {
                        await Task.Delay(50, cancellationToken);
                    }
                }

                var index = i;
                var key = StepKey.For("work", index);
                sum += await context.StepAsync(
                    key,
                    async ct =>
                    {
                        var path = Path.Combine(input.CounterDirectory, key.Replace('/', '-') + ".count");
                        await using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
                        {
                            file.Write("x\n"u8);
                            file.Flush(flushToDisk: true);
                        }

                        await Task.Delay(input.StepDelayMs, ct);
                        return (long)index * index;
                    },
                    TestWorkflowJson.Default.Int64,
                    RetryPolicy.None,
                    cancellationToken);
            }

            if (input.ChildImage is { } image && input.Children > 0)
            {
                var children = new List<ChildInstance>();
                for (var c = 0; c < input.Children; c++)
                {
                    // Each child counts in a folder of its own: children run side by side, and appends of
                    // several processes to one file may overwrite each other.
                    var counters = Directory.CreateDirectory(Path.Combine(input.CounterDirectory, $"child-{c}")).FullName;
                    var childInput = new CountingInput(Steps: c + 1, StepDelayMs: input.ChildStepDelayMs, counters);
                    children.Add(await context.StartChildAsync(image, childInput, StepKey.For("child", c), TestWorkflowJson.Default.CountingInput, cancellationToken: cancellationToken));
                }

                foreach (var result in await context.WhenAllChildrenAsync("children", children, cancellationToken))
                {
                    sum += result.GetOutput(TestWorkflowJson.Default.CountingOutput).Sum;
                }
            }

            return new CountingOutput(input.Steps, sum);
        }
    }

    [JsonSerializable(typeof(CountingInput))]
    [JsonSerializable(typeof(CountingOutput))]
    [JsonSerializable(typeof(long))]
    [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
    internal sealed partial class TestWorkflowJson : JsonSerializerContext;
}

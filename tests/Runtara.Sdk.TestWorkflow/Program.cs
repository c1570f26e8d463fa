using System.Globalization;
using System.Text.Json.Serialization;
using Runtara.Protocol.Contracts;
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

var options = RuntaraInstanceOptions.FromEnvironment().UseEmbeddedEngine();

// FromEnvironment reads only the launch contract, whose grace period (RUNTARA_WAIT_GRACE_MS) the
// environment sets for all instances or none. A test sets one per instance as a hosted workflow
// would read it, Runtara:Instance:WaitGracePeriod in the instance's variables; the contract's wins.
if (Environment.GetEnvironmentVariable(LaunchVariables.WaitGraceMs) is null
    && Environment.GetEnvironmentVariable("Runtara__Instance__WaitGracePeriod") is { Length: > 0 } grace)
{
    options.WaitGracePeriod = TimeSpan.Parse(grace, CultureInfo.InvariantCulture);
}

return await RuntaraWorkflow.RunAsync<CountingInput, CountingOutput>(
    CountingWorkflow.RunAsync,
    TestWorkflowJson.Default.CountingInput,
    TestWorkflowJson.Default.CountingOutput,
    options);

namespace Runtara.Sdk.TestWorkflow
{
    // HoldFile (optional): while that file exists, the run waits before step HoldAtStep (outside any
    // step), so a test can line many instances up mid-run and release them all at once.
    // ChildImage/Children (optional): after its steps the run starts that many children of the image
    // (one step each), waits for all of them and adds their sums to its own.
    // WaitSignal (optional): before step WaitAtStep the run waits for that custom signal (at most
    // WaitTimeoutMs when set) and returns its payload, or "timeout", as the output's Signal. Around the
    // wait, holds where a test can kill the process: HoldBeforeWaitFile (right before the wait),
    // HoldWhileSuspendedFile (the core has suspended the instance, the process has not exited yet) and
    // HoldAfterWaitFile (the outcome is stored, the next step has not run).
    // FailWhileFile (optional): while that file exists, step FailAtStep throws after counting (a re-run
    // after the file is deleted replays the steps before it and runs it again).
    // Journal (optional): each step's counter file also gets an "ack" line once the step's checkpoint is
    // acknowledged (so an execution after an ack would show a lost checkpoint), and each step performs its
    // side effect through an idempotency key: it creates effect-<step> only if no execution created it yet,
    // as a real sink deduplicates by key (steps are at least once; their recorded effects exactly once).
    public sealed record CountingInput(
        int Steps, int StepDelayMs, string CounterDirectory, string? HoldFile = null, int HoldAtStep = 0, string? ChildImage = null, int Children = 0, int ChildStepDelayMs = 0,
        string? WaitSignal = null, int WaitAtStep = 0, int? WaitTimeoutMs = null, string? HoldBeforeWaitFile = null, string? HoldWhileSuspendedFile = null, string? HoldAfterWaitFile = null,
        string? FailWhileFile = null, int FailAtStep = 0, bool Journal = false);

    public sealed record CountingOutput(int Steps, long Sum, string? Signal = null);

    public static class CountingWorkflow
    {
        public static async Task<CountingOutput> RunAsync(WorkflowContext context, CountingInput input, CancellationToken cancellationToken)
        {
            long sum = 0;
            string? signal = null;
            for (var i = 0; i < input.Steps; i++)
            {
                if (i == input.HoldAtStep)
                {
                    await HoldAsync(input.HoldFile, input.CounterDirectory, cancellationToken);
                }

                if (i == input.WaitAtStep && input.WaitSignal is { } name)
                {
                    signal = await WaitAsync(context, input, name, cancellationToken);
                }

                var index = i;
                var key = StepKey.For("work", index);
                var path = Path.Combine(input.CounterDirectory, key.Replace('/', '-') + ".count");
                sum += await context.StepAsync(
                    key,
                    async ct =>
                    {
                        AppendLine(path, "x\n"u8);

                        // A re-run or fork is another instance, with a user of its own (docs/security.md): it appends here too.
                        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.OtherWrite) == 0)
                        {
                            File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
                        }

                        if (index == input.FailAtStep && input.FailWhileFile is { } fail && File.Exists(fail))
                        {
                            throw new InvalidOperationException($"step {index} fails while {fail} exists");
                        }

                        await Task.Delay(input.StepDelayMs, ct);
                        if (input.Journal)
                        {
                            RecordEffectOnce(Path.Combine(input.CounterDirectory, $"effect-{index}"), context.InstanceId, key);
                        }

                        return (long)index * index;
                    },
                    TestWorkflowJson.Default.Int64,
                    RetryPolicy.None,
                    cancellationToken);
                if (input.Journal)
                {
                    AppendLine(path, "ack\n"u8);
                }
            }

            if (input.ChildImage is { } image && input.Children > 0)
            {
                var children = new List<ChildInstance>();
                for (var c = 0; c < input.Children; c++)
                {
                    // Each child counts in a folder of its own: children run side by side, and appends of
                    // several processes to one file may overwrite each other.
                    var counters = Directory.CreateDirectory(Path.Combine(input.CounterDirectory, $"child-{c}")).FullName;
                    if (!OperatingSystem.IsWindows())
                    {
                        // Children may run as users other than this instance's (docs/security.md).
                        File.SetUnixFileMode(counters, (UnixFileMode)0b111_111_111);
                    }

                    var childInput = new CountingInput(Steps: c + 1, StepDelayMs: input.ChildStepDelayMs, counters);
                    children.Add(await context.StartChildAsync(image, childInput, StepKey.For("child", c), TestWorkflowJson.Default.CountingInput, cancellationToken: cancellationToken));
                }

                foreach (var result in await context.WhenAllChildrenAsync("children", children, cancellationToken))
                {
                    sum += result.GetOutput(TestWorkflowJson.Default.CountingOutput).Sum;
                }
            }

            return new CountingOutput(input.Steps, sum, signal);
        }

        private static async Task<string> WaitAsync(WorkflowContext context, CountingInput input, string name, CancellationToken cancellationToken)
        {
            await HoldAsync(input.HoldBeforeWaitFile, input.CounterDirectory, cancellationToken);
            string outcome;
            try
            {
                TimeSpan? timeout = input.WaitTimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
                outcome = System.Text.Encoding.UTF8.GetString((await context.WaitForSignalAsync(name, timeout, cancellationToken)).Span);
            }
            catch (SignalTimeoutException)
            {
                outcome = "timeout";
            }
            catch (WorkflowInterruptedException ex) when (ex.Reason == InterruptionReason.Waiting)
            {
                // The core has suspended the instance; the SDK ends the run (and the process) once this propagates.
                await HoldAsync(input.HoldWhileSuspendedFile, input.CounterDirectory, cancellationToken);
                throw;
            }

            await HoldAsync(input.HoldAfterWaitFile, input.CounterDirectory, cancellationToken);
            return outcome;
        }

        /// <summary>Appends one line to a counter file, durably: the test reads it after a kill -9.</summary>
        private static void AppendLine(string path, ReadOnlySpan<byte> line)
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            file.Write(line);
            file.Flush(flushToDisk: true);
        }

        /// <summary>The side effect under an idempotency key: only the first execution of the step creates the file.</summary>
        private static void RecordEffectOnce(string path, string instanceId, string key)
        {
            try
            {
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                file.Write(System.Text.Encoding.UTF8.GetBytes($"{instanceId} {key}\n"));
                file.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Recorded by an earlier execution of this step: the key deduplicates it.
            }
        }

        /// <summary>
        /// While <paramref name="file"/> exists the run waits here (outside any step). Arriving, it writes
        /// its pid to <c>&lt;counters&gt;/&lt;file name&gt;.reached</c>, so a test knows the process got here and which one to kill.
        /// </summary>
        private static async Task HoldAsync(string? file, string counters, CancellationToken cancellationToken)
        {
            if (file is null || !File.Exists(file))
            {
                return;
            }

            await File.WriteAllTextAsync(Path.Combine(counters, Path.GetFileName(file) + ".reached"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
            while (File.Exists(file))
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    [JsonSerializable(typeof(CountingInput))]
    [JsonSerializable(typeof(CountingOutput))]
    [JsonSerializable(typeof(long))]
    [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
    internal sealed partial class TestWorkflowJson : JsonSerializerContext;
}

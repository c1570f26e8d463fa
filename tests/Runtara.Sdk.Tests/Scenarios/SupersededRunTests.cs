using Runtara.Protocol.Contracts;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Scenarios;

/// <summary>
/// Fencing end to end (docs/protocol.md "Incarnations", docs/instance-contract.md): an instance is
/// relaunched while its old process still runs. The old run's next write is refused, it stops with the
/// superseded outcome (exit code 77, <c>output.json</c> reason <c>superseded</c>) and writes nothing
/// more; the new run completes.
/// </summary>
[Collection(CoreCollection.Name)]
public sealed class SupersededRunTests(CoreFixture fixture) : IDisposable
{
    private readonly CoreHarness _harness = fixture.Harness;
    private readonly TempDirectory _directory = new("runtara-superseded");

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_relaunch_while_the_old_process_runs_stops_the_old_one_and_the_new_one_completes()
    {
        var id = Ids.Instance("superseded");
        var tenant = Ids.Tenant();
        var input = Path.Combine(_directory.Path, "input.json");
        await File.WriteAllTextAsync(input, "\"go\"");
        var aInStep2 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bInStep3 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aRanStep3 = false;

        Workflow<string, string> Workflow(string run) => async (ctx, _, ct) =>
        {
            var one = await ctx.StepAsync("one", _ => Task.FromResult($"one-{run}"), ScenarioJson.Default.String, cancellationToken: ct);
            var two = await ctx.StepAsync(
                "two",
                async _ =>
                {
                    if (run == "A")
                    {
                        aInStep2.SetResult();
                        await releaseA.Task;
                    }

                    return $"two-{run}";
                },
                ScenarioJson.Default.String,
                cancellationToken: ct);
            var three = await ctx.StepAsync(
                "three",
                async _ =>
                {
                    if (run == "A")
                    {
                        aRanStep3 = true;
                    }
                    else
                    {
                        bInStep3.SetResult();
                        await releaseB.Task;
                    }

                    return $"three-{run}";
                },
                ScenarioJson.Default.String,
                cancellationToken: ct);
            return $"{one}/{two}/{three}";
        };

        RuntaraInstanceOptions Options(string run)
        {
            var options = _harness.Options();
            options.InstanceId = id;
            options.TenantId = tenant;
            options.InputPath = input;
            options.OutputPath = Path.Combine(_directory.Path, $"output-{run}.json");
            options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            return options;
        }

        // A runs step one, then hangs in step two: the environment relaunches the instance as B.
        var a = RuntaraWorkflow.RunAsync(Workflow("A"), ScenarioJson.Default.String, ScenarioJson.Default.String, Options("A"));
        await aInStep2.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var b = RuntaraWorkflow.RunAsync(Workflow("B"), ScenarioJson.Default.String, ScenarioJson.Default.String, Options("B"));
        await bInStep3.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // A's step two ends while B runs: its checkpoint is refused, and A stops without another write.
        releaseA.SetResult();
        var aExit = await a.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(ExitCodes.Superseded, aExit);
        Assert.Equal(77, RuntaraWorkflow.SupersededExitCode);
        var aOutput = InstanceOutput.TryRead(Path.Combine(_directory.Path, "output-A.json"));
        Assert.NotNull(aOutput);
        Assert.True(aOutput.IsSuperseded);
        Assert.Equal(InstanceOutputStatus.Failed, aOutput.Status);
        Assert.StartsWith("superseded: ", aOutput.Error, StringComparison.Ordinal);
        Assert.False(aRanStep3);
        Assert.Equal(InstanceStatus.Running, (await _harness.ViewAsync(id)).Status);
        Assert.Equal(0, await _harness.CountEventsAsync(id, "failed"));

        releaseB.SetResult();
        var bExit = await b.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(ExitCodes.Success, bExit);
        var view = await _harness.ViewAsync(id);
        Assert.Equal(InstanceStatus.Completed, view.Status);

        // B replayed A's step one (stored before B registered) and ran the rest itself; nothing of A's after that.
        Assert.Equal("\"one-A/two-B/three-B\"", view.Output);
        Assert.Equal(1, await _harness.CountEventsAsync(id, "completed"));
        Assert.Equal(0, await _harness.CountEventsAsync(id, "failed"));
    }

    public void Dispose() => _directory.Dispose();
}

using System.Text;
using Runtara.Sdk.Hosting;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Hosting;

/// <summary>The <c>output.json</c> shapes of SPEC §14.3 and the exit codes of the launch contract.</summary>
public sealed class OutputFileTests
{
    private static string Render(WorkflowOutcome<int> outcome) => Encoding.UTF8.GetString(OutputFile.Render(outcome, nowMs: 1_000));

    [Fact]
    public void Each_outcome_has_its_output_shape_and_exit_code()
    {
        var completed = new WorkflowOutcome<int>("i", WorkflowStatus.Completed) { Result = 5, ResultJson = """{"n":5}"""u8.ToArray() };
        var failed = new WorkflowOutcome<int>("i", WorkflowStatus.Failed) { Error = "Step 'x' failed \"quoted\"" };
        var cancelled = new WorkflowOutcome<int>("i", WorkflowStatus.Cancelled);
        var suspended = new WorkflowOutcome<int>("i", WorkflowStatus.Suspended) { CheckpointId = "step:two" };
        var sleeping = new WorkflowOutcome<int>("i", WorkflowStatus.Sleeping) { CheckpointId = "sleep:nap", WakeAt = DateTimeOffset.FromUnixTimeMilliseconds(61_000) };

        Assert.Equal("""{"status":"completed","result":{"n":5}}""", Render(completed));
        Assert.Equal("""{"status":"failed","error":"Step \u0027x\u0027 failed \u0022quoted\u0022"}""", Render(failed));
        Assert.Equal("""{"status":"cancelled"}""", Render(cancelled));
        Assert.Equal("""{"status":"suspended","checkpoint_id":"step:two"}""", Render(suspended));
        Assert.Equal("""{"status":"sleeping","checkpoint_id":"sleep:nap","wake_after_ms":60000}""", Render(sleeping));
        Assert.Equal([0, 1, 0, 0, 0], new[] { completed, failed, cancelled, suspended, sleeping }.Select(o => o.ExitCode));
    }

    [Fact]
    public void A_superseded_run_renders_its_reason_and_exits_77()
    {
        var superseded = new WorkflowOutcome<int>("i", WorkflowStatus.Superseded) { Error = "instance i: incarnation 1 was superseded by incarnation 2", Reported = false };

        Assert.Equal("""{"status":"failed","error":"superseded: instance i: incarnation 1 was superseded by incarnation 2","reason":"superseded"}""", Render(superseded));
        Assert.Equal(RuntaraWorkflow.SupersededExitCode, superseded.ExitCode);
    }

    [Fact]
    public async Task The_file_is_replaced_whole()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "run", "output.json");

        await OutputFile.WriteAsync(path, "{\"status\":\"failed\",\"error\":\"first\"}"u8.ToArray(), CancellationToken.None);
        await OutputFile.WriteAsync(path, "{\"status\":\"cancelled\"}"u8.ToArray(), CancellationToken.None);

        Assert.Equal("{\"status\":\"cancelled\"}", await File.ReadAllTextAsync(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task Missing_input_reads_as_an_empty_object_and_bad_input_is_a_typed_error()
    {
        using var directory = new TempDirectory();
        var bad = Path.Combine(directory.Path, "bad.json");
        await File.WriteAllTextAsync(bad, "[1,2");

        var empty = await RuntaraWorkflow.ReadInputAsync(null, Scenarios.ScenarioJson.Default.Approval, CancellationToken.None);
        var error = await Assert.ThrowsAsync<CheckpointSerializationException>(() => RuntaraWorkflow.ReadInputAsync(bad, Scenarios.ScenarioJson.Default.Approval, CancellationToken.None));

        Assert.Equal(new Scenarios.Approval(false, null!), empty);
        Assert.Equal("input", error.Key);
    }

    [Fact]
    public void Error_text_names_the_step_and_the_cause()
    {
        var step = new StepFailedException("charge", 3, new TimeoutException("gateway"));

        Assert.Equal("Step 'charge' failed after 3 attempt(s): gateway (TimeoutException)", RuntaraConnection.DescribeError(step));
        Assert.Equal("InvalidOperationException: nope", RuntaraConnection.DescribeError(new InvalidOperationException("nope")));
    }
}

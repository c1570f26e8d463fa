using Runtara.Environment.Instances;
using Runtara.Environment.Storage;
using Runtara.Protocol.Contracts;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;

namespace Runtara.Environment.Tests.Instances;

/// <summary>What happens to an instance whose process ended (docs/instance-contract.md, Lifecycle 3).</summary>
public sealed class ExitDecisionTests
{
    [Theory]
    [InlineData(CoreStatus.StatusCompleted, RunStatus.Completed)]
    [InlineData(CoreStatus.StatusFailed, RunStatus.Failed)]
    [InlineData(CoreStatus.StatusCancelled, RunStatus.Cancelled)]
    [InlineData(CoreStatus.StatusSuspended, RunStatus.Suspended)]
    public void A_status_settled_at_the_core_is_recorded_whatever_the_output_file_says(CoreStatus core, RunStatus settled)
    {
        var decision = ExitDecision.Decide(core, InstanceOutput.Failed("stale"), retryCount: 0, maxRetries: 3, forceFail: false);

        Assert.Equal(new ExitDecision(ExitAction.RecordCoreStatus, Settled: settled), decision);
    }

    [Theory]
    [InlineData(InstanceOutputStatus.Completed, CoreStatus.StatusCompleted)]
    [InlineData(InstanceOutputStatus.Failed, CoreStatus.StatusFailed)]
    [InlineData(InstanceOutputStatus.Cancelled, CoreStatus.StatusCancelled)]
    public void An_outcome_only_in_the_output_file_is_reported_to_the_core(string status, CoreStatus reported)
    {
        var output = new InstanceOutput { Status = status };

        var decision = ExitDecision.Decide(CoreStatus.StatusRunning, output, retryCount: 0, maxRetries: 3, forceFail: false);

        Assert.Equal(new ExitDecision(ExitAction.ReportOutput, Report: reported), decision);
    }

    [Fact]
    public void A_sleeping_or_suspended_output_file_does_not_settle_a_running_instance()
    {
        var sleeping = ExitDecision.Decide(CoreStatus.StatusRunning, InstanceOutput.Sleeping("cp", 1_000), retryCount: 0, maxRetries: 1, forceFail: false);
        var suspended = ExitDecision.Decide(CoreStatus.StatusRunning, InstanceOutput.Suspended("cp"), retryCount: 1, maxRetries: 1, forceFail: false);

        Assert.Equal(ExitAction.Retry, sleeping.Action);
        Assert.Equal(ExitAction.Fail, suspended.Action);
    }

    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(2, 3, true)]
    [InlineData(3, 3, false)]
    [InlineData(0, 0, false)]
    public void A_crash_without_outcome_is_retried_while_retries_are_left(int retryCount, int maxRetries, bool retried)
    {
        var action = retried ? ExitAction.Retry : ExitAction.Fail;
        Assert.Equal(action, ExitDecision.Decide(CoreStatus.StatusRunning, output: null, retryCount, maxRetries, forceFail: false).Action);
        Assert.Equal(action, ExitDecision.Decide(CoreStatus.StatusPending, output: null, retryCount, maxRetries, forceFail: false).Action);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(3, 3)]
    [InlineData(0, 0)]
    public void A_core_unavailable_exit_is_relaunched_without_using_a_retry(int retryCount, int maxRetries)
    {
        var output = InstanceOutput.Parse("""{"status":"failed","error":"The core was unreachable for 300 s","reason":"core_unavailable"}"""u8);

        Assert.Equal(ExitAction.Relaunch, ExitDecision.Decide(CoreStatus.StatusRunning, output, retryCount, maxRetries, forceFail: false).Action);
        Assert.Equal(ExitAction.Relaunch, ExitDecision.Decide(CoreStatus.StatusPending, output, retryCount, maxRetries, forceFail: false).Action);
    }

    [Fact]
    public void A_core_unavailable_exit_does_not_override_a_settled_core_status_or_the_execution_timeout()
    {
        var output = InstanceOutput.CoreUnavailable("unreachable");

        Assert.Equal(new ExitDecision(ExitAction.RecordCoreStatus, Settled: RunStatus.Cancelled), ExitDecision.Decide(CoreStatus.StatusCancelled, output, 0, 3, forceFail: false));
        Assert.Equal(ExitAction.Fail, ExitDecision.Decide(CoreStatus.StatusRunning, output, 0, 3, forceFail: true).Action);
        Assert.Equal(ExitAction.FailLocally, ExitDecision.Decide(null, output, 0, 3, forceFail: false).Action);
    }

    [Fact]
    public void A_superseded_exit_leaves_the_run_to_the_newer_incarnation_unless_the_core_settled_it()
    {
        var output = InstanceOutput.Superseded("superseded: incarnation 1 was superseded by incarnation 2");

        // Neither reported as a failure nor relaunched, whatever the retry budget.
        Assert.Equal(ExitAction.Superseded, ExitDecision.Decide(CoreStatus.StatusRunning, output, 0, 3, forceFail: false).Action);
        Assert.Equal(ExitAction.Superseded, ExitDecision.Decide(CoreStatus.StatusRunning, output, 3, 3, forceFail: false).Action);
        Assert.Equal(new ExitDecision(ExitAction.RecordCoreStatus, Settled: RunStatus.Completed), ExitDecision.Decide(CoreStatus.StatusCompleted, output, 0, 3, forceFail: false));
    }

    [Fact]
    public void A_failure_with_an_unknown_reason_is_the_workflows_failure()
    {
        var output = new InstanceOutput { Status = InstanceOutputStatus.Failed, Error = "boom", Reason = "something_else" };

        Assert.Equal(new ExitDecision(ExitAction.ReportOutput, Report: CoreStatus.StatusFailed), ExitDecision.Decide(CoreStatus.StatusRunning, output, 0, 3, forceFail: false));
    }

    [Fact]
    public void An_instance_past_its_execution_timeout_fails_without_retry_or_output()
    {
        var decision = ExitDecision.Decide(CoreStatus.StatusCompleted, InstanceOutput.Completed("1"), retryCount: 0, maxRetries: 5, forceFail: true);

        Assert.Equal(ExitAction.Fail, decision.Action);
    }

    [Fact]
    public void An_instance_the_core_does_not_know_is_failed_locally()
    {
        Assert.Equal(ExitAction.FailLocally, ExitDecision.Decide(null, InstanceOutput.Completed("1"), retryCount: 0, maxRetries: 5, forceFail: false).Action);
        Assert.Equal(ExitAction.FailLocally, ExitDecision.Decide(null, null, retryCount: 0, maxRetries: 5, forceFail: true).Action);
    }

    [Fact]
    public void The_reason_names_why_the_process_ended()
    {
        var heartbeat = TimeSpan.FromSeconds(120);

        Assert.Equal("Execution timeout: this run of the instance ran longer than 30 s (time suspended in sleeps and waits does not count) and was killed; the instance is FAILED", ExitDecision.Reason(true, true, 137, 30, heartbeat));
        Assert.Equal("Instance stale: no activity for 120 s (heartbeat timeout); the process was killed", ExitDecision.Reason(false, true, 137, 30, heartbeat));
        Assert.Equal("Process exited with code 3 without reporting a result", ExitDecision.Reason(false, false, 3, 30, heartbeat));
        Assert.Equal("Process ended without reporting a result", ExitDecision.Reason(false, false, null, 30, heartbeat));
        // What the runner saw (an out-of-memory kill) wins over the exit code, not over a timeout.
        Assert.Equal("Out of memory", ExitDecision.Reason(false, false, 137, 30, heartbeat, "Out of memory"));
        Assert.StartsWith("Execution timeout", ExitDecision.Reason(true, false, 137, 30, heartbeat, "Out of memory"), StringComparison.Ordinal);
    }
}

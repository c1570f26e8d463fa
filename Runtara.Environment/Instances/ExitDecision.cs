using Runtara.Environment.Storage;
using Runtara.Protocol.Contracts;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;

namespace Runtara.Environment.Instances;

/// <summary>What the supervisor does with a run whose process ended.</summary>
internal enum ExitAction
{
    /// <summary>The core does not know the instance: fail it here only.</summary>
    FailLocally,

    /// <summary>The core already holds the outcome (the SDK reported it): record it.</summary>
    RecordCoreStatus,

    /// <summary>The core has no outcome but <c>output.json</c> has one (an SDK that could not report): report it.</summary>
    ReportOutput,

    /// <summary>Relaunch from the last checkpoint (a retry is left).</summary>
    Retry,

    /// <summary>
    /// Relaunch from the last checkpoint without using a retry: the SDK gave up because the core was
    /// unreachable (<c>output.json</c> reason <c>core_unavailable</c>, exit code 75), not because the workflow failed.
    /// </summary>
    Relaunch,

    /// <summary>Fail the instance at the core with the reason the process ended.</summary>
    Fail,

    /// <summary>
    /// Leave the run alone: the process stopped because a newer incarnation of the instance registered
    /// (<c>output.json</c> reason <c>superseded</c>, exit code 77); that process carries the run now.
    /// </summary>
    Superseded,
}

/// <summary>
/// The settle-or-retry rule for an ended process (docs/instance-contract.md, Lifecycle 3), a pure
/// function of what the core says, what <c>output.json</c> says and the run's retry budget.
/// </summary>
/// <param name="Action">What to do.</param>
/// <param name="Settled">With <see cref="ExitAction.RecordCoreStatus"/>: the core's status as the run's.</param>
/// <param name="Report">With <see cref="ExitAction.ReportOutput"/>: the status to report to the core.</param>
internal readonly record struct ExitDecision(ExitAction Action, RunStatus Settled = default, CoreStatus Report = CoreStatus.StatusUnknown)
{
    /// <summary>
    /// Decides. The core's status wins when it is settled; else a relaunch that keeps the retry budget
    /// when <paramref name="output"/> says the core was unavailable; else <paramref name="output"/> when it holds
    /// an end (completed, failed, cancelled); else a retry while <paramref name="retryCount"/> is below
    /// <paramref name="maxRetries"/>; else a failure. <paramref name="forceFail"/> (the execution
    /// timeout) skips straight to the failure.
    /// </summary>
    /// <param name="coreStatus">The core's status of the instance; null when the core does not know it.</param>
    public static ExitDecision Decide(CoreStatus? coreStatus, InstanceOutput? output, int retryCount, int maxRetries, bool forceFail)
    {
        if (coreStatus is not { } core)
        {
            return new(ExitAction.FailLocally);
        }

        if (forceFail)
        {
            return new(ExitAction.Fail);
        }

        if (RunStatusNames.FromCore(core) is { } settled && settled is not (RunStatus.Running or RunStatus.Pending))
        {
            return new(ExitAction.RecordCoreStatus, Settled: settled);
        }

        if (output?.IsSuperseded == true)
        {
            return new(ExitAction.Superseded);
        }

        // The core answers again (it gave the status above), so the outage is over: relaunch. Checked
        // before the failed case, whose status the output shares so older readers still see a failure.
        if (output?.IsCoreUnavailable == true)
        {
            return new(ExitAction.Relaunch);
        }

        // Suspended and sleeping in output.json are only the SDK's view: the core (above) decides those.
        switch (output?.Status)
        {
            case InstanceOutputStatus.Completed:
                return new(ExitAction.ReportOutput, Report: CoreStatus.StatusCompleted);
            case InstanceOutputStatus.Failed:
                return new(ExitAction.ReportOutput, Report: CoreStatus.StatusFailed);
            case InstanceOutputStatus.Cancelled:
                return new(ExitAction.ReportOutput, Report: CoreStatus.StatusCancelled);
        }

        return retryCount < maxRetries ? new(ExitAction.Retry) : new(ExitAction.Fail);
    }

    /// <summary>Why a process ended without an outcome, as the error text of a failure (and the log of a retry).</summary>
    /// <param name="runnerFailure">What the runner saw (e.g. an out-of-memory kill); it wins over the exit code.</param>
    public static string Reason(bool timedOut, bool silent, int? exitCode, int timeoutSeconds, TimeSpan heartbeatTimeout, string? runnerFailure = null) =>
        timedOut
            ? $"Execution timeout: this run of the instance ran longer than {timeoutSeconds} s (time suspended in sleeps and waits does not count) and was killed; the instance is FAILED"
            : silent
                ? $"Instance stale: no activity for {heartbeatTimeout.TotalSeconds:0} s (heartbeat timeout); the process was killed"
                : runnerFailure is { Length: > 0 }
                    ? runnerFailure
                : exitCode is { } code
                    ? $"Process exited with code {code} without reporting a result"
                    : "Process ended without reporting a result";
}

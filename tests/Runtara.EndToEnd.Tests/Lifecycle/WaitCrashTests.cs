using System.Diagnostics;
using System.Globalization;
using System.Text;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Lifecycle;

/// <summary>
/// Durable waits under crashes (issue 14): the counting workflow (step 0, a wait for the signal
/// "approve", steps 1 and 2) is killed with SIGKILL at each point of its wait, and a signal meets
/// processes that are exiting. Every instance completes with the one outcome the core stored, and
/// no checkpointed step runs twice.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class WaitCrashTests(PlatformFixture fixture, ITestOutputHelper log)
{
    private const int Steps = 3;
    private const int WaitAtStep = 1;
    private const string Signal = "approve";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>
    /// A wake that meets a process still exiting must wait for it, not be dropped: a dropped wake is
    /// only retried when its lease (30 s) expires, and a relaunch takes a few seconds even on a loaded machine.
    /// </summary>
    private static readonly TimeSpan WokenWithin = TimeSpan.FromSeconds(20);
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task Killed_with_sigkill_just_before_its_wait_the_instance_is_retried_and_completes_with_the_payload_once()
    {
        var run = await StartAsync(holdAt: "holdBeforeWaitFile");
        var pid = await CountingWorkflowRuns.ReachedHoldAsync(run.Counters, run.Hold, Deadline);

        Process.GetProcessById(pid).Kill();
        File.Delete(run.Hold);
        await SendAsync(run, "approved-before");

        await AssertCompletedAsync(run, "approved-before", retries: 1);
    }

    [Fact]
    public async Task Killed_with_sigkill_after_its_wait_received_the_signal_the_instance_replays_the_same_payload_and_completes()
    {
        var run = await StartAsync(holdAt: "holdAfterWaitFile");
        await SuspendedAsync(run);
        await SendAsync(run, "approved-after");

        // The woken run took the signal (the outcome is stored) and holds before step 1.
        var pid = await CountingWorkflowRuns.ReachedHoldAsync(run.Counters, run.Hold, Deadline);
        Process.GetProcessById(pid).Kill();
        File.Delete(run.Hold);

        await AssertCompletedAsync(run, "approved-after", retries: 1);
    }

    [Fact]
    public async Task Killed_with_sigkill_after_its_wait_timed_out_the_instance_replays_the_timeout_although_a_signal_came_since()
    {
        var run = await StartAsync(holdAt: "holdAfterWaitFile", timeoutMs: 300);

        // The deadline woke it, the timeout is stored and it holds before step 1.
        var pid = await CountingWorkflowRuns.ReachedHoldAsync(run.Counters, run.Hold, Deadline);
        Process.GetProcessById(pid).Kill();

        // Too late: the replay must report the stored timeout, not this signal.
        await SendAsync(run, "approved-too-late");
        File.Delete(run.Hold);

        await AssertCompletedAsync(run, "timeout", retries: 1);
    }

    [Fact]
    public async Task Killed_with_sigkill_after_the_core_suspended_it_but_before_its_process_exited_the_signal_still_wakes_it_once()
    {
        var run = await StartAsync(holdAt: "holdWhileSuspendedFile");

        // The core has suspended the instance and the process is held on its way out.
        var pid = await CountingWorkflowRuns.ReachedHoldAsync(run.Counters, run.Hold, Deadline);
        var suspended = await _platform.Client.GetInstanceAsync(run.Id, run.Tenant);
        Assert.Equal((InstanceStatus.Suspended, pid), (suspended.Status, suspended.Pid));

        // A wake that comes before the kill waits for the process to settle. The kill is no failure
        // (no retry used): the instance had already suspended.
        var sent = await SendAsync(run, "approved-while-exiting");
        Process.GetProcessById(pid).Kill();
        File.Delete(run.Hold);

        await AssertCompletedAsync(run, "approved-while-exiting", retries: 0, wokenAfter: sent);
    }

    [Fact]
    public async Task Signals_sent_as_processes_exit_after_suspending_each_wake_their_instance_which_completes_with_the_payload_once()
    {
        const int Instances = 10;
        var tenant = Ids.Tenant();
        var image = await _platform.RegisterCountingWorkflowAsync(tenant);
        var runs = await Task.WhenAll(Enumerable.Range(0, Instances).Select(_ => StartAsync(holdAt: null, tenant: tenant, image: image)));

        // Each signal goes out as soon as (0-45 ms after) the core reports the instance suspended,
        // while its process is usually still exiting.
        var sends = await Task.WhenAll(runs.Select(async (run, i) =>
        {
            await Wait.UntilAsync(() => Task.FromResult(File.Exists(Path.Combine(run.Counters, "work-0.count"))), ran => ran, Deadline, $"{run.Id} to run step 0");
            var suspended = await SuspendedAsync(run);
            await Task.Delay(TimeSpan.FromMilliseconds(i * 5));
            var exiting = suspended.Pid is { } pid && Directory.Exists($"/proc/{pid}");
            return (Exiting: exiting, At: await SendAsync(run, $"payload-{i}"));
        }));

        for (var i = 0; i < Instances; i++)
        {
            await AssertCompletedAsync(runs[i], $"payload-{i}", retries: 0, wokenAfter: sends[i].At);
        }

        // Which path ran depends on timing: reported, not asserted.
        log.WriteLine($"{sends.Count(s => s.Exiting)} of {Instances} signals were sent while the instance's process still existed");
    }

    /// <summary>
    /// Starts the workflow (in a tenant of its own unless <paramref name="tenant"/> and its <paramref name="image"/> are given);
    /// <paramref name="holdAt"/> names its hold hook (an input property), whose file exists from the start.
    /// </summary>
    private async Task<WaitRun> StartAsync(string? holdAt, int? timeoutMs = null, string? tenant = null, string? image = null)
    {
        if (tenant is null || image is null)
        {
            tenant = Ids.Tenant();
            image = await _platform.RegisterCountingWorkflowAsync(tenant);
        }

        var counters = SharedDirectory.Create("runtara-wait-crash-");
        var hooks = new StringBuilder();
        var hold = Path.Combine(counters, holdAt ?? "no-hold");
        if (holdAt is not null)
        {
            await File.WriteAllTextAsync(hold, "the run waits here while this file exists");
            hooks.Append(CultureInfo.InvariantCulture, $",\"{holdAt}\":\"{hold}\"");
        }

        if (timeoutMs is { } ms)
        {
            hooks.Append(CultureInfo.InvariantCulture, $",\"waitTimeoutMs\":{ms}");
        }

        // Suspends at once (no grace period in the process), and one retry for the kill.
        var start = new StartInstanceOptions
        {
            ImageId = image,
            TenantId = tenant,
            MaxRetries = 2,
            Input = $$"""{"steps":{{Steps}},"stepDelayMs":0,"counterDirectory":"{{counters}}","waitSignal":"{{Signal}}","waitAtStep":{{WaitAtStep}}{{hooks}}}""",
        };
        start.Environment["Runtara__Instance__WaitGracePeriod"] = "00:00:00";
        var id = await _platform.Client.StartInstanceAsync(start);
        return new WaitRun(id, tenant, counters, hold);
    }

    private Task<InstanceInfo> SuspendedAsync(WaitRun run) =>
        Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(run.Id, run.Tenant), info => info.Status == InstanceStatus.Suspended, Deadline, $"{run.Id} to suspend on its wait");

    /// <summary>Sends the signal; returns when it was sent.</summary>
    private async Task<DateTimeOffset> SendAsync(WaitRun run, string payload)
    {
        var sent = DateTimeOffset.UtcNow;
        await _platform.Client.SendCustomSignalAsync(run.Id, Signal, Encoding.UTF8.GetBytes(payload), run.Tenant);
        return sent;
    }

    /// <summary>
    /// Completed with <paramref name="outcome"/> as the wait's result, relaunched at least once, having used
    /// <paramref name="retries"/> (a kill while running is a failure, one after the core suspended it is not),
    /// each step run once and one stored outcome; with <paramref name="wokenAfter"/>, within <see cref="WokenWithin"/> of that signal.
    /// </summary>
    private async Task AssertCompletedAsync(WaitRun run, string outcome, int retries, DateTimeOffset? wokenAfter = null)
    {
        var info = await _platform.Client.WaitForCompletionAsync(run.Id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = Deadline }, run.Tenant);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal(outcome, info.Output!.Value.GetProperty("signal").GetString());
        Assert.Equal(Enumerable.Range(0, Steps).Sum(s => (long)s * s), info.Output.Value.GetProperty("sum").GetInt64());
        Assert.True(info.LaunchCount >= 2, $"the instance should have been relaunched; launches: {info.LaunchCount}");
        Assert.Equal(retries, info.RetryCount);
        CountingWorkflowRuns.AssertEachStepRanOnce(run.Counters, Steps);
        var checkpoints = await _platform.Client.ListCheckpointsAsync(run.Id, tenantId: run.Tenant);
        Assert.Single(checkpoints.Checkpoints, c => c.CheckpointId == $"wait:{Signal}");
        if (wokenAfter is { } sent)
        {
            var took = info.FinishedAt!.Value - sent;
            Assert.True(took < WokenWithin, $"{run.Id} completed {took.TotalSeconds:0.0} s after its signal: was the wake lost to the exiting process?");
        }
    }

    private sealed record WaitRun(string Id, string Tenant, string Counters, string Hold);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Tests.Infrastructure;
using Runtara.Sdk.Workflows;

namespace Runtara.Sdk.Tests.Scenarios;

public sealed record Order(string Id, decimal Amount);

public sealed record Receipt(string Reservation, long Charge, string? ApprovedBy = null);

public sealed record Approval(bool Approved, string By);

[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Receipt))]
[JsonSerializable(typeof(Approval))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
public sealed partial class ScenarioJson : JsonSerializerContext;

/// <summary>
/// The workflow suite that runs unchanged against the real core and the embedded backend: every
/// behaviour an author relies on, observed through the operator's view of the backend (status,
/// checkpoints, retry records, events) and side-effect counters kept outside the workflow.
/// </summary>
public abstract partial class WorkflowScenarioTests
{
    protected static readonly Order AnOrder = new("o-1", 12.5m);

    private readonly ConcurrentDictionary<string, int> _runs = new();

    protected abstract IWorkflowHarness Harness { get; }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Completed_workflow_reports_its_output_and_runs_each_step_once()
    {
        var id = Ids.Instance("complete");
        await using var connection = await ConnectAsync();

        var outcome = await connection.RunAsync<Order, Receipt>(
            async (ctx, order, ct) =>
            {
                var reservation = await ctx.StepAsync("reserve", _ => Count("reserve", $"R-{order.Id}"), ScenarioJson.Default.String, cancellationToken: ct);
                var charge = await ctx.StepAsync("charge", _ => Count("charge", 1250L), ScenarioJson.Default.Int64, cancellationToken: ct);
                await ctx.SendEventAsync("progress", "{\"done\":2}"u8.ToArray(), ct);
                return new Receipt(reservation, charge);
            },
            AnOrder,
            ScenarioJson.Default.Receipt,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(new Receipt("R-o-1", 1250), outcome.Result);
        var view = await Harness.ViewAsync(id);
        Assert.Equal(InstanceStatus.Completed, view.Status);
        Assert.Equal(new Receipt("R-o-1", 1250), JsonSerializer.Deserialize(view.Output!, ScenarioJson.Default.Receipt));
        Assert.Equal(new[] { "step:charge", "step:reserve" }, (await Harness.CheckpointIdsAsync(id)).Order());
        Assert.Equal(1, Runs("reserve"));
        Assert.Equal(1, Runs("charge"));
        Assert.Equal(1, await Harness.CountEventsAsync(id, "custom"));
        Assert.Equal(1, await Harness.CountEventsAsync(id, "completed"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Relaunch_after_the_process_stopped_returns_stored_results_without_running_steps_again()
    {
        var id = Ids.Instance("replay");
        var tenant = Ids.Tenant();
        var thirdStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var replaying = new List<bool>();
        Workflow<Order, Receipt> workflow = async (ctx, order, ct) =>
        {
            replaying.Add(ctx.IsReplaying);
            var reservation = await ctx.StepAsync("reserve", _ => Count("reserve", $"R-{Runs("reserve") + 1}"), ScenarioJson.Default.String, cancellationToken: ct);
            var charge = await ctx.StepAsync("charge", _ => Count("charge", 100L * (Runs("charge") + 1)), ScenarioJson.Default.Int64, cancellationToken: ct);
            await ctx.StepAsync(
                "ship",
                async token =>
                {
                    Count("ship");
                    if (Runs("ship") == 1)
                    {
                        // First run: the process "dies" here (the host stops it mid-step).
                        thirdStarted.SetResult();
                        await Task.Delay(Timeout.Infinite, token);
                    }
                },
                RetryPolicy.None,
                ct);
            return new Receipt(reservation, charge);
        };

        using (var host = new CancellationTokenSource())
        {
            await using var first = await ConnectAsync();
            var run = first.RunAsync(workflow, AnOrder, ScenarioJson.Default.Receipt, new InstanceIdentity(id, tenant), host.Token);
            await thirdStarted.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await host.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        Assert.Equal(InstanceStatus.Running, (await Harness.ViewAsync(id)).Status);
        Assert.Equal(new[] { "step:charge", "step:reserve" }, (await Harness.CheckpointIdsAsync(id)).Order());

        await using var second = await ConnectAsync();
        var outcome = await second.RunAsync(workflow, AnOrder, ScenarioJson.Default.Receipt, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);

        // The stored results of the first run came back: a re-executed step would have produced R-2 / 200.
        Assert.Equal(new Receipt("R-1", 100), outcome.Result);
        Assert.Equal(1, Runs("reserve"));
        Assert.Equal(1, Runs("charge"));
        Assert.Equal(2, Runs("ship"));
        Assert.Equal(new[] { false, true }, replaying);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_step_that_finished_as_the_host_stopped_is_stored_and_replayed_without_running_again()
    {
        var id = Ids.Instance("stop-save");
        var tenant = Ids.Tenant();
        using var host = new CancellationTokenSource();
        Workflow<Order, long> workflow = (ctx, _, ct) => ctx.StepAsync(
            "charge",
            async _ =>
            {
                var attempt = Count("charge");
                if (attempt == 1)
                {
                    // The action's side effect is done; the host stops (as on SIGTERM) before the save.
                    await host.CancelAsync();
                }

                return 1250L * attempt;
            },
            ScenarioJson.Default.Int64,
            RetryPolicy.None,
            ct);

        await using (var first = await ConnectAsync())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => first.RunAsync(workflow, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(id, tenant), host.Token));
        }

        Assert.True(host.IsCancellationRequested);
        Assert.Equal(new[] { "step:charge" }, await Harness.CheckpointIdsAsync(id));

        await using var second = await ConnectAsync();
        var outcome = await second.RunAsync(workflow, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(1250, outcome.Result);
        Assert.Equal(1, Runs("charge"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task UtcNow_and_NewGuid_return_the_recorded_values_on_a_relaunch()
    {
        var id = Ids.Instance("determinism");
        var tenant = Ids.Tenant();
        using var host = new CancellationTokenSource();
        var seen = new List<(DateTimeOffset Now, Guid Guid)>();
        Workflow<Order, long> workflow = async (ctx, _, ct) =>
        {
            seen.Add((await ctx.UtcNowAsync("started", ct), await ctx.NewGuidAsync("payment-id", ct)));
            return await ctx.StepAsync(
                "after",
                async token =>
                {
                    if (Count("after") == 1)
                    {
                        // First run: the host stops before the workflow finishes.
                        await host.CancelAsync();
                        token.ThrowIfCancellationRequested();
                    }

                    return 1L;
                },
                ScenarioJson.Default.Int64,
                RetryPolicy.None,
                ct);
        };

        await using (var first = await ConnectAsync())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => first.RunAsync(workflow, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(id, tenant), host.Token));
        }

        // The clock moves on between runs; the recorded time must not.
        await Task.Delay(20);
        await using var second = await ConnectAsync();
        var outcome = await second.RunAsync(workflow, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(2, seen.Count);
        Assert.Equal(seen[0], seen[1]);
        Assert.NotEqual(Guid.Empty, seen[0].Guid);
        Assert.Equal(new[] { "guid:payment-id", "now:started", "step:after" }, (await Harness.CheckpointIdsAsync(id)).Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_patch_keeps_an_instance_started_on_the_old_code_on_its_branch_and_sends_new_instances_down_the_new_one()
    {
        var tenant = Ids.Tenant();
        var old = Ids.Instance("patch-old");
        using var host = new CancellationTokenSource();

        // Version 1: reserve, charge, then ship — the first run stops in ship, past the charge.
        Workflow<Order, long> v1 = async (ctx, _, ct) =>
        {
            await ctx.StepAsync("reserve", _ => Count("reserve", "R"), ScenarioJson.Default.String, cancellationToken: ct);
            var charge = await ctx.StepAsync("charge", _ => Count("charge", 100L), ScenarioJson.Default.Int64, cancellationToken: ct);
            await ctx.StepAsync("ship", async token => { await host.CancelAsync(); token.ThrowIfCancellationRequested(); }, RetryPolicy.None, ct);
            return charge;
        };

        // Version 2: the charge changes behind a patch; a second patch later in the code must answer the same way.
        var answers = new ConcurrentQueue<(bool Charge, bool Ship)>();
        Workflow<Order, long> v2 = async (ctx, _, ct) =>
        {
            await ctx.StepAsync("reserve", _ => Count("reserve", "R"), ScenarioJson.Default.String, cancellationToken: ct);
            var patched = await ctx.IsPatchedAsync("charge-v2", ct);
            var charge = patched
                ? await ctx.StepAsync("charge-v2", _ => Count("charge-v2", 120L), ScenarioJson.Default.Int64, cancellationToken: ct)
                : await ctx.StepAsync("charge", _ => Count("charge", 100L), ScenarioJson.Default.Int64, cancellationToken: ct);
            var shipPatched = await ctx.IsPatchedAsync("ship-v2", ct);
            answers.Enqueue((patched, shipPatched));
            await ctx.StepAsync("ship", _ => Count("ship", true), ScenarioJson.Default.Boolean, cancellationToken: ct);
            return charge;
        };

        await using (var first = await ConnectAsync())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => first.RunAsync(v1, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(old, tenant), host.Token));
        }

        await using var connection = await ConnectAsync();
        var resumed = await connection.RunAsync(v2, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(old, tenant));
        var fresh = await connection.RunAsync(v2, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(Ids.Instance("patch-new"), tenant));

        Assert.Equal((WorkflowStatus.Completed, 100L), (resumed.Status, resumed.Result));
        Assert.Equal((WorkflowStatus.Completed, 120L), (fresh.Status, fresh.Result));
        Assert.Equal([(false, false), (true, true)], answers);
        Assert.Equal(1, Runs("charge"));
        Assert.Equal(1, Runs("charge-v2"));
        Assert.Contains("patch:charge-v2", await Harness.CheckpointIdsAsync(old));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Failed_attempts_are_retried_with_backoff_and_each_retry_is_recorded()
    {
        var id = Ids.Instance("retry");
        await using var connection = await ConnectAsync();
        var policy = new RetryPolicy { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(20), Jitter = 0 };
        var started = Stopwatch.StartNew();

        var outcome = await connection.RunAsync<Order, long>(
            (ctx, _, ct) => ctx.StepAsync(
                "flaky",
                _ =>
                {
                    var attempt = Count("flaky");
                    return attempt < 3 ? throw new InvalidOperationException($"boom {attempt}") : Task.FromResult(7L);
                },
                ScenarioJson.Default.Int64,
                policy,
                ct),
            AnOrder,
            ScenarioJson.Default.Int64,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(7, outcome.Result);
        Assert.Equal(3, Runs("flaky"));
        // Timers may fire up to a clock tick early: allow a few milliseconds.
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(20 + 40 - 5), $"backoff 20 ms then 40 ms, took {started.Elapsed}");

        // RetryAttempt is one-way: wait until both rows are stored.
        var attempts = await Wait.UntilAsync(() => Harness.RetryAttemptsAsync(id), a => a.Count >= 2, TimeSpan.FromSeconds(10), "two retry attempts");
        Assert.Equal(new (string, int, string?)[] { ("step:flaky", 2, "boom 1"), ("step:flaky", 3, "boom 2") }, attempts);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_timed_out_attempt_is_cancelled_and_retried_by_the_step_options()
    {
        var id = Ids.Instance("timeout-retry");
        await using var connection = await ConnectAsync();
        var options = new StepOptions
        {
            Retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), Jitter = 0 },
            Timeout = TimeSpan.FromMilliseconds(100),
        };

        var outcome = await connection.RunAsync<Order, long>(
            (ctx, _, ct) => ctx.StepAsync(
                "slow",
                async token =>
                {
                    if (Count("slow") < 3)
                    {
                        // Hangs until the attempt's timeout cancels its token.
                        await Task.Delay(Timeout.Infinite, token);
                    }

                    return 42L;
                },
                ScenarioJson.Default.Int64,
                options,
                ct),
            AnOrder,
            ScenarioJson.Default.Int64,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(42, outcome.Result);
        Assert.Equal(3, Runs("slow"));
        var attempts = await Wait.UntilAsync(() => Harness.RetryAttemptsAsync(id), a => a.Count >= 2, TimeSpan.FromSeconds(10), "two retry attempts");
        Assert.Equal(new[] { 2, 3 }, attempts.Select(a => a.Attempt));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_step_whose_every_attempt_times_out_fails_with_a_timeout()
    {
        var id = Ids.Instance("timeout-fail");
        await using var connection = await ConnectAsync();
        var options = new StepOptions
        {
            Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(1), Jitter = 0 },
            Timeout = TimeSpan.FromMilliseconds(50),
        };

        var outcome = await connection.RunAsync<Order, bool>(
            async (ctx, _, ct) =>
            {
                await ctx.StepAsync("hang", token => Task.Delay(Timeout.Infinite, token), options, ct);
                return true;
            },
            AnOrder,
            ScenarioJson.Default.Boolean,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        var failure = Assert.IsType<StepFailedException>(outcome.Exception);
        Assert.Equal(2, failure.Attempts);
        Assert.IsType<TimeoutException>(failure.InnerException);
        Assert.Empty(await Harness.CheckpointIdsAsync(id));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_step_that_keeps_failing_fails_the_instance_and_its_failure_is_not_stored()
    {
        var id = Ids.Instance("fail");
        await using var connection = await ConnectAsync();

        var outcome = await connection.RunAsync<Order, long>(
            async (ctx, _, ct) =>
            {
                await ctx.StepAsync("ok", _ => Count("ok", 1L), ScenarioJson.Default.Int64, cancellationToken: ct);
                return await ctx.StepAsync<long>(
                    "always",
                    _ => throw new TimeoutException($"payment gateway timed out ({Count("always")})"),
                    ScenarioJson.Default.Int64,
                    new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(1), Jitter = 0 },
                    ct);
            },
            AnOrder,
            ScenarioJson.Default.Int64,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        var failure = Assert.IsType<StepFailedException>(outcome.Exception);
        Assert.Equal("always", failure.StepKey);
        Assert.Equal(2, failure.Attempts);
        Assert.IsType<TimeoutException>(failure.InnerException);
        Assert.Equal(1, outcome.ExitCode);
        var view = await Harness.ViewAsync(id);
        Assert.Equal(InstanceStatus.Failed, view.Status);
        Assert.Equal(outcome.Error, view.Error);
        Assert.Equal(new[] { "step:ok" }, await Harness.CheckpointIdsAsync(id));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Cancel_signal_cancels_the_workflow_token_and_the_instance_ends_cancelled()
    {
        var id = Ids.Instance("cancel");
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observed = false;
        await using var connection = await ConnectAsync();

        var run = connection.RunAsync<Order, long>(
            async (ctx, _, ct) =>
            {
                await ctx.StepAsync("first", _ => Count("first", 1L), ScenarioJson.Default.Int64, cancellationToken: ct);
                return await ctx.StepAsync(
                    "wait-forever",
                    async token =>
                    {
                        waiting.SetResult();
                        try
                        {
                            await Task.Delay(Timeout.Infinite, token);
                        }
                        catch (OperationCanceledException)
                        {
                            observed = token.IsCancellationRequested;
                            throw;
                        }

                        return 0L;
                    },
                    ScenarioJson.Default.Int64,
                    cancellationToken: ct);
            },
            AnOrder,
            ScenarioJson.Default.Int64,
            new InstanceIdentity(id, Ids.Tenant()));

        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Harness.SendSignalAsync(id, SignalKind.Cancel);
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(WorkflowStatus.Cancelled, outcome.Status);
        Assert.Equal(0, outcome.ExitCode);
        Assert.True(observed, "the step's token was cancelled");
        Assert.Equal(InstanceStatus.Cancelled, (await Harness.ViewAsync(id)).Status);
        Assert.Equal(new[] { "step:first" }, await Harness.CheckpointIdsAsync(id));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Pause_suspends_at_the_next_checkpoint_and_a_relaunch_resumes_after_it()
    {
        var id = Ids.Instance("pause");
        var tenant = Ids.Tenant();
        var inSecond = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            await ctx.StepAsync("one", _ => Count("one", 1), ScenarioJson.Default.Int32, cancellationToken: ct);
            await ctx.StepAsync(
                "two",
                async _ =>
                {
                    Count("two");
                    inSecond.TrySetResult();
                    await release.Task;
                    return 2;
                },
                ScenarioJson.Default.Int32,
                cancellationToken: ct);
            await ctx.StepAsync("three", _ => Count("three", 3), ScenarioJson.Default.Int32, cancellationToken: ct);
            return "done";
        };

        await using (var first = await ConnectAsync())
        {
            var run = first.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
            await inSecond.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await Harness.SendSignalAsync(id, SignalKind.Pause);
            release.SetResult();
            var paused = await run.WaitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(WorkflowStatus.Suspended, paused.Status);
            Assert.Equal("step:two", paused.CheckpointId);
            Assert.Equal(0, paused.ExitCode);
        }

        Assert.Equal(InstanceStatus.Suspended, (await Harness.ViewAsync(id)).Status);
        Assert.Equal(0, Runs("three"));

        // Resume = relaunch with the same id: the acknowledged pause is not delivered again.
        await using var second = await ConnectAsync();
        var resumed = await second.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, resumed.Status);
        Assert.Equal((1, 1, 1), (Runs("one"), Runs("two"), Runs("three")));
        Assert.Equal(InstanceStatus.Completed, (await Harness.ViewAsync(id)).Status);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Custom_signal_is_delivered_exactly_once_and_replayed_after_a_restart()
    {
        var id = Ids.Instance("signal");
        var tenant = Ids.Tenant();
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Workflow<Order, Receipt> workflow = async (ctx, order, ct) =>
        {
            var approval = await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, cancellationToken: ct);
            await ctx.StepAsync("record", _ => Count("record", approval.By), ScenarioJson.Default.String, cancellationToken: ct);
            await ctx.StepAsync(
                "ship",
                async token =>
                {
                    if (Count("ship") == 1)
                    {
                        blocked.SetResult();
                        await Task.Delay(Timeout.Infinite, token);
                    }
                },
                RetryPolicy.None,
                ct);
            return new Receipt("r", 0, approval.By);
        };

        using (var host = new CancellationTokenSource())
        {
            await using var first = await ConnectAsync();
            var run = first.RunAsync(workflow, AnOrder, ScenarioJson.Default.Receipt, new InstanceIdentity(id, tenant), host.Token);
            await Wait.UntilAsync(() => Harness.ViewAsync(id), v => v.Status == InstanceStatus.Running, TimeSpan.FromSeconds(20), "registration");
            await Harness.SendCustomSignalAsync(id, "approve", JsonSerializer.SerializeToUtf8Bytes(new Approval(true, "alice"), ScenarioJson.Default.Approval));
            await blocked.Task.WaitAsync(TimeSpan.FromSeconds(20));

            // A second payload to the same wait point after the first was taken: never delivered to this wait.
            await Harness.SendCustomSignalAsync(id, "approve", JsonSerializer.SerializeToUtf8Bytes(new Approval(false, "mallory"), ScenarioJson.Default.Approval));
            await host.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        Assert.Contains("wait:approve", await Harness.CheckpointIdsAsync(id));
        await using var second = await ConnectAsync();
        var outcome = await second.RunAsync(workflow, AnOrder, ScenarioJson.Default.Receipt, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("alice", outcome.Result!.ApprovedBy);
        Assert.Equal(1, Runs("record"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_replaying_run_waits_for_a_signal_that_has_not_arrived_yet()
    {
        var id = Ids.Instance("late-signal");
        var tenant = Ids.Tenant();
        var waitingFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            await ctx.StepAsync("a", _ => Count("a", 1), ScenarioJson.Default.Int32, cancellationToken: ct);
            waitingFirst.TrySetResult();
            return (await ctx.WaitForSignalAsync("go", ScenarioJson.Default.Approval, cancellationToken: ct)).By;
        };

        using (var host = new CancellationTokenSource())
        {
            await using var first = await ConnectAsync();
            var run = first.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant), host.Token);
            await waitingFirst.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await host.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        await using var second = await ConnectAsync();
        var replay = second.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
        await Task.Delay(150);
        Assert.False(replay.IsCompleted, "the replayed wait must keep waiting, not return an empty payload");
        await Harness.SendCustomSignalAsync(id, "go", JsonSerializer.SerializeToUtf8Bytes(new Approval(true, "bob"), ScenarioJson.Default.Approval));
        var outcome = await replay.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("bob", outcome.Result);
        Assert.Equal(1, Runs("a"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_key_used_twice_in_one_run_returns_the_first_result()
    {
        var id = Ids.Instance("dup");
        await using var connection = await ConnectAsync();

        var outcome = await connection.RunAsync<Order, string>(
            async (ctx, _, ct) =>
            {
                var first = await ctx.StepAsync("same", _ => Task.FromResult("first"), ScenarioJson.Default.String, cancellationToken: ct);
                var second = await ctx.StepAsync("same", _ => Count("second-body", "second"), ScenarioJson.Default.String, cancellationToken: ct);
                return first + "+" + second;
            },
            AnOrder,
            ScenarioJson.Default.String,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal("first+first", outcome.Result);
        Assert.Equal(0, Runs("second-body"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Pause_while_waiting_for_a_signal_suspends_and_the_resumed_instance_keeps_waiting()
    {
        var id = Ids.Instance("pause-wait");
        var tenant = Ids.Tenant();
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            await ctx.StepAsync("before", _ => Count("before", 1), ScenarioJson.Default.Int32, cancellationToken: ct);
            return (await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, cancellationToken: ct)).By;
        };

        await using (var first = await ConnectAsync())
        {
            var run = first.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
            await Wait.UntilAsync(() => Harness.CheckpointIdsAsync(id), c => c.Contains("step:before"), TimeSpan.FromSeconds(20), "the first step");
            await Harness.SendSignalAsync(id, SignalKind.Pause);
            var paused = await run.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(WorkflowStatus.Suspended, paused.Status);
        }

        Assert.Equal(InstanceStatus.Suspended, (await Harness.ViewAsync(id)).Status);

        await using var second = await ConnectAsync();
        var resumed = second.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
        await Wait.UntilAsync(() => Harness.ViewAsync(id), v => v.Status == InstanceStatus.Running, TimeSpan.FromSeconds(20), "the relaunch");
        await Harness.SendCustomSignalAsync(id, "approve", JsonSerializer.SerializeToUtf8Bytes(new Approval(true, "carol"), ScenarioJson.Default.Approval));
        var outcome = await resumed.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("carol", outcome.Result);
        Assert.Equal(1, Runs("before"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Waiting_for_a_signal_gives_up_after_its_timeout()
    {
        var id = Ids.Instance("signal-timeout");
        await using var connection = await ConnectAsync();

        var outcome = await connection.RunAsync<Order, string>(
            async (ctx, _, ct) => (await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, TimeSpan.FromMilliseconds(200), ct)).By,
            AnOrder,
            ScenarioJson.Default.String,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        var timeout = Assert.IsType<SignalTimeoutException>(outcome.Exception);
        Assert.Equal("approve", timeout.SignalName);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Long_sleep_stores_its_wake_up_time_suspends_and_a_relaunch_after_it_continues()
    {
        var id = Ids.Instance("sleep");
        var tenant = Ids.Tenant();
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            await ctx.StepAsync("before", _ => Count("before", 1), ScenarioJson.Default.Int32, cancellationToken: ct);
            await ctx.SleepAsync("reminder-delay", TimeSpan.FromHours(1), ct);
            await ctx.StepAsync("after", _ => Count("after", 2), ScenarioJson.Default.Int32, cancellationToken: ct);
            return "reminded";
        };

        var before = DateTimeOffset.UtcNow;
        await using (var first = await ConnectAsync())
        {
            var sleeping = await first.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));

            Assert.Equal(WorkflowStatus.Sleeping, sleeping.Status);
            Assert.Equal("sleep:reminder-delay", sleeping.CheckpointId);
            Assert.InRange(sleeping.WakeAt!.Value, before.AddHours(1).AddSeconds(-5), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(5));
            Assert.Equal(0, sleeping.ExitCode);
        }

        var view = await Harness.ViewAsync(id);
        Assert.Equal(InstanceStatus.Suspended, view.Status);
        Assert.InRange(view.WakeAt!.Value, before.AddHours(1).AddSeconds(-5), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(5));
        Assert.Contains("sleep:reminder-delay", await Harness.CheckpointIdsAsync(id));
        Assert.Equal(0, Runs("after"));

        // The environment relaunches it after the wake-up time; the clock says two hours have passed.
        await using var second = await ConnectAsync(new ShiftedTimeProvider(TimeSpan.FromHours(2)));
        var outcome = await second.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal((1, 1), (Runs("before"), Runs("after")));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Relaunch_before_the_wake_up_time_goes_back_to_sleep_until_the_same_time()
    {
        var id = Ids.Instance("early");
        var tenant = Ids.Tenant();
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            await ctx.SleepAsync("nap", TimeSpan.FromMinutes(30), ct);
            return "awake";
        };

        await using var connection = await ConnectAsync();
        var first = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
        var second = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Sleeping, first.Status);
        Assert.Equal(WorkflowStatus.Sleeping, second.Status);
        Assert.Equal(first.WakeAt, second.WakeAt);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Short_sleep_waits_in_the_process_and_the_instance_keeps_running()
    {
        var id = Ids.Instance("nap");
        await using var connection = await ConnectAsync();
        var started = Stopwatch.StartNew();
        InstanceStatus during = InstanceStatus.Unknown;

        var outcome = await connection.RunAsync<Order, string>(
            async (ctx, _, ct) =>
            {
                var sleep = ctx.SleepAsync("nap", TimeSpan.FromMilliseconds(300), ct);
                during = (await Harness.ViewAsync(id)).Status;
                await sleep;
                return "ok";
            },
            AnOrder,
            ScenarioJson.Default.String,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(295), $"slept {started.Elapsed}");
        Assert.Equal(InstanceStatus.Running, during);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Heartbeats_keep_going_while_a_step_blocks_its_thread()
    {
        var id = Ids.Instance("heartbeat");
        await using var connection = await ConnectAsync(configure: o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(50));

        var outcome = await connection.RunAsync<Order, int>(
            (ctx, _, ct) => ctx.StepAsync(
                "busy",
                _ =>
                {
                    // Synchronous work that holds its thread until three heartbeats were stored (or
                    // 20 s passed): the heartbeat must not need this thread or any lock it holds.
                    var deadline = DateTime.UtcNow.AddSeconds(20);
                    var seen = 0;
                    while (DateTime.UtcNow < deadline && (seen = Task.Run(() => Harness.CountEventsAsync(id, "heartbeat")).GetAwaiter().GetResult()) < 3)
                    {
                        Thread.Sleep(50);
                    }

                    return Task.FromResult(seen);
                },
                ScenarioJson.Default.Int32,
                cancellationToken: ct),
            AnOrder,
            ScenarioJson.Default.Int32,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.True(outcome.Result >= 3, $"{outcome.Result} heartbeat(s) while the step held its thread");
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Steps_in_a_loop_with_StepKey_For_are_checkpointed_per_item_and_may_run_concurrently()
    {
        var id = Ids.Instance("loop");
        await using var connection = await ConnectAsync();

        var outcome = await connection.RunAsync<Order, long>(
            async (ctx, _, ct) =>
            {
                var squares = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
                    ctx.StepAsync(StepKey.For("square", i), _ => Count($"square-{i}", (long)i * i), ScenarioJson.Default.Int64, cancellationToken: ct)));
                return squares.Sum();
            },
            AnOrder,
            ScenarioJson.Default.Int64,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(30, outcome.Result);
        Assert.Equal(
            Enumerable.Range(0, 5).Select(i => $"step:square/{i}").Order(),
            (await Harness.CheckpointIdsAsync(id)).Order());
    }

    [Fact(Timeout = TestTimeouts.Long)]
    public async Task Kill_9_of_the_instance_process_then_relaunch_with_the_same_id_does_not_run_completed_steps_again()
    {
        using var directory = new TempDirectory("runtara-sdk-kill");
        var counters = Directory.CreateDirectory(Path.Combine(directory.Path, "counters")).FullName;
        var id = Ids.Instance("kill");
        const int steps = 12;
        var input = Path.Combine(directory.Path, "input.json");
        await File.WriteAllTextAsync(input, $$"""{"steps":{{steps}},"stepDelayMs":150,"counterDirectory":"{{counters}}"}""");
        var environment = new Dictionary<string, string>(Harness.ChildEnvironment())
        {
            [InstanceEnvironment.InstanceId] = id,
            [InstanceEnvironment.TenantId] = "tenant-kill",
            [InstanceEnvironment.InputPath] = input,
            [InstanceEnvironment.HeartbeatIntervalMs] = "200",
        };

        int Executions(int step) => File.Exists(Path.Combine(counters, $"work-{step}.count"))
            ? File.ReadAllLines(Path.Combine(counters, $"work-{step}.count")).Length
            : 0;

        using (var first = ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, "run-1")))
        {
            await Wait.UntilAsync(() => Task.FromResult(Executions(5)), n => n > 0 || first.HasExited, TimeSpan.FromSeconds(60), "step 5 to start");
            Assert.False(first.HasExited, first.StandardError);
            await first.KillAsync();
            Assert.False(File.Exists(first.OutputPath), "a killed process writes no output.json");
        }

        var completedBeforeKill = (await Harness.CheckpointIdsAsync(id)).Where(c => c.StartsWith("step:work/", StringComparison.Ordinal)).ToList();
        Assert.InRange(completedBeforeKill.Count, 5, steps - 1);

        using (var second = ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, "run-2")))
        {
            var exitCode = await second.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.True(exitCode == 0, $"exit code {exitCode}; stderr:\n{second.StandardError}");
            using var output = JsonDocument.Parse(await File.ReadAllBytesAsync(second.OutputPath));
            Assert.Equal("completed", output.RootElement.GetProperty("status").GetString());
            var expectedSum = Enumerable.Range(0, steps).Sum(i => (long)i * i);
            Assert.Equal(expectedSum, output.RootElement.GetProperty("result").GetProperty("sum").GetInt64());
        }

        // Every step checkpointed before the kill ran exactly once; the one in flight at the kill may
        // have run twice (at-least-once for an unfinished step); every step ran.
        foreach (var checkpoint in completedBeforeKill)
        {
            var step = int.Parse(checkpoint["step:work/".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Executions(step) == 1, $"{checkpoint} ran {Executions(step)} times");
        }

        var total = Enumerable.Range(0, steps).Sum(Executions);
        Assert.All(Enumerable.Range(0, steps), step => Assert.True(Executions(step) >= 1));
        Assert.InRange(total, steps, steps + 1);
        Assert.Equal(InstanceStatus.Completed, (await Harness.ViewAsync(id)).Status);
    }

    /// <summary>
    /// Issue 14, "A step's result is kept even when the host stops", with a real SIGTERM: the hosted
    /// test workflow (RUNTARA_TEST_WORKFLOW=host-stop) charges (one line in a file), then holds the
    /// action's end until the SIGTERM this test sends has stopped the host and cancelled the run's
    /// token; the action returns and the SDK saves its checkpoint during shutdown. The relaunch replays
    /// the charge (still one line) and completes.
    /// </summary>
    [Fact(Timeout = TestTimeouts.Long)]
    public async Task A_step_whose_process_gets_SIGTERM_between_the_action_and_its_checkpoint_is_kept_and_not_run_again()
    {
        using var directory = new TempDirectory("runtara-sdk-sigterm");
        var id = Ids.Instance("sigterm");
        var charges = Path.Combine(directory.Path, "charges.log");
        var input = Path.Combine(directory.Path, "input.json");
        await File.WriteAllTextAsync(input, JsonSerializer.Serialize(new Dictionary<string, string> { ["sideEffectFile"] = charges }));
        var environment = new Dictionary<string, string>(Harness.ChildEnvironment())
        {
            [InstanceEnvironment.InstanceId] = id,
            [InstanceEnvironment.TenantId] = "tenant-sigterm",
            [InstanceEnvironment.InputPath] = input,
            [InstanceEnvironment.HeartbeatIntervalMs] = "200",
            [TestWorkflow.HostStopWorkflow.ModeVariable] = TestWorkflow.HostStopWorkflow.Mode,
        };

        int Charges() => File.Exists(charges) ? File.ReadAllLines(charges).Length : 0;

        using (var first = ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, "run-1")))
        {
            await Wait.UntilAsync(
                () => Task.FromResult(first.StandardError.Contains(TestWorkflow.HostStopWorkflow.WaitingForStop, StringComparison.Ordinal) || first.HasExited),
                ready => ready,
                TimeSpan.FromSeconds(60),
                "the charge's action to finish its side effect");
            Assert.False(first.HasExited, first.StandardError);
            Assert.Equal(1, Charges());
            Assert.Empty(await Harness.CheckpointIdsAsync(id));

            await PosixSignals.TerminateAsync(first.Id);
            var exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == ExitCodes.Stopped, $"exit code {exitCode}, expected {ExitCodes.Stopped} (stopped); stderr:\n{first.StandardError}");
            Assert.Contains("host stopping", first.StandardError, StringComparison.Ordinal);
        }

        // The charge's result was saved although the run's token was cancelled when the save began.
        Assert.Equal(new[] { "step:charge" }, await Harness.CheckpointIdsAsync(id));

        using (var second = ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, "run-2")))
        {
            var exitCode = await second.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, $"exit code {exitCode}; stderr:\n{second.StandardError}");
            using var output = JsonDocument.Parse(await File.ReadAllBytesAsync(second.OutputPath));
            Assert.Equal("completed", output.RootElement.GetProperty("status").GetString());
            Assert.Equal(1250, output.RootElement.GetProperty("result").GetProperty("charged").GetInt64());
            Assert.Equal("receipt-1250", output.RootElement.GetProperty("result").GetProperty("receipt").GetString());
        }

        Assert.Equal(1, Charges());
        Assert.Equal(InstanceStatus.Completed, (await Harness.ViewAsync(id)).Status);
    }

    [Fact(Timeout = TestTimeouts.Long)]
    public async Task Instance_program_with_unreadable_input_writes_failed_output_and_exits_1()
    {
        using var directory = new TempDirectory("runtara-sdk-badinput");
        var input = Path.Combine(directory.Path, "input.json");
        await File.WriteAllTextAsync(input, "this is not json");
        var environment = new Dictionary<string, string>(Harness.ChildEnvironment())
        {
            [InstanceEnvironment.InstanceId] = Ids.Instance("badinput"),
            [InstanceEnvironment.TenantId] = "tenant-bad",
            [InstanceEnvironment.InputPath] = input,
        };

        using var child = ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, "run"));
        Assert.Equal(1, await child.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        using var output = JsonDocument.Parse(await File.ReadAllBytesAsync(child.OutputPath));
        Assert.Equal("failed", output.RootElement.GetProperty("status").GetString());
        Assert.Contains("input", output.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    protected Task<RuntaraConnection> ConnectAsync(TimeProvider? time = null, Action<RuntaraInstanceOptions>? configure = null)
    {
        var options = Harness.Options();
        options.HeartbeatInterval = TimeSpan.Zero;
        if (time is not null)
        {
            options.TimeProvider = time;
        }

        configure?.Invoke(options);
        return RuntaraConnection.ConnectAsync(options);
    }

    protected int Runs(string name) => _runs.TryGetValue(name, out var n) ? n : 0;

    protected int Count(string name) => _runs.AddOrUpdate(name, 1, (_, n) => n + 1);

    protected Task<T> Count<T>(string name, T value)
    {
        Count(name);
        return Task.FromResult(value);
    }
}

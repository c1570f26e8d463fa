using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Scenarios;

/// <summary>
/// Durable waits and child instances, on both backends: the test plays the environment (it claims due
/// work the way ListDueWakeups hands it out, relaunches woken instances and runs the children).
/// </summary>
public abstract partial class WorkflowScenarioTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_signal_wait_suspends_after_its_grace_period_and_the_signal_makes_it_due()
    {
        var id = Ids.Instance("wait-suspend");
        var tenant = Ids.Tenant();
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            await ctx.StepAsync("before", _ => Count("before", 1), ScenarioJson.Default.Int32, cancellationToken: ct);
            return (await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, cancellationToken: ct)).By;
        };

        await using var connection = await ConnectAsync(configure: o => o.WaitGracePeriod = TimeSpan.FromMilliseconds(100));
        var first = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Waiting, first.Status);
        Assert.Equal("wait:approve", first.CheckpointId);
        Assert.Equal(InstanceStatus.Suspended, (await Harness.ViewAsync(id)).Status);
        Assert.DoesNotContain(id, (await Harness.ClaimDueWorkAsync()).Wakeups);

        await Harness.SendCustomSignalAsync(id, "approve", JsonSerializer.SerializeToUtf8Bytes(new Approval(true, "dana"), ScenarioJson.Default.Approval));
        Assert.Contains(id, (await Harness.ClaimDueWorkAsync()).Wakeups);
        var second = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, second.Status);
        Assert.Equal("dana", second.Result);
        Assert.Equal(1, Runs("before"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_wait_that_times_out_while_suspended_replays_the_timeout_even_after_the_signal_arrives()
    {
        var id = Ids.Instance("wait-timeout");
        var tenant = Ids.Tenant();
        var afterWait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            string decision;
            try
            {
                decision = (await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, TimeSpan.FromMilliseconds(300), ct)).By;
            }
            catch (SignalTimeoutException)
            {
                decision = "timed out";
            }

            afterWait.TrySetResult();
            await ctx.StepAsync("after", async token =>
            {
                if (Count("after") == 1)
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
            }, RetryPolicy.None, ct);
            return decision;
        };

        await using var connection = await ConnectAsync(configure: o => o.WaitGracePeriod = TimeSpan.Zero);
        var first = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
        Assert.Equal(WorkflowStatus.Waiting, first.Status);
        Assert.NotNull(first.WakeAt);

        // Due once the deadline passed, not before.
        await Wait.UntilAsync(() => Harness.ClaimDueWorkAsync(), due => due.Wakeups.Contains(id), Patience, "the wait's deadline");
        using (var host = new CancellationTokenSource())
        {
            var second = connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant), host.Token);
            await afterWait.Task.WaitAsync(Patience);

            // The signal comes too late, while the run that timed out is still going; then the process dies.
            await Harness.SendCustomSignalAsync(id, "approve", JsonSerializer.SerializeToUtf8Bytes(new Approval(true, "late"), ScenarioJson.Default.Approval));
            await host.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        }

        var third = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
        Assert.Equal(WorkflowStatus.Completed, third.Status);
        Assert.Equal("timed out", third.Result);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task The_first_of_several_signals_wins_and_a_replay_reports_the_same_winner()
    {
        var id = Ids.Instance("wait-any");
        var tenant = Ids.Tenant();
        await using var connection = await ConnectAsync(configure: o => o.WaitGracePeriod = TimeSpan.Zero);
        await connection.Backend.RegisterAsync(id, tenant, null, CancellationToken.None);
        await Harness.SendCustomSignalAsync(id, "reject", "\"too expensive\""u8.ToArray());
        await Task.Delay(20);
        await Harness.SendCustomSignalAsync(id, "approve", "\"fine\""u8.ToArray());

        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            var decision = await ctx.WaitForAnySignalAsync("decision", ["approve", "reject"], TimeSpan.FromMinutes(5), ct);
            var first = $"{decision.Signal}:{decision.PayloadAs(ScenarioJson.Default.String)}";

            // The signal that lost still waits at its own name.
            var later = await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.String, cancellationToken: ct);
            return $"{first} then approve:{later}";
        };

        var outcome = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("reject:too expensive then approve:fine", outcome.Result);
        Assert.Contains("wait:decision", await Harness.CheckpointIdsAsync(id));
    }

    [Fact(Timeout = TestTimeouts.Long)]
    public async Task A_hundred_children_run_once_each_and_the_parent_collects_their_outputs_in_order()
    {
        const int Children = 100;
        var id = Ids.Instance("fan-out");
        var tenant = Ids.Tenant();
        Workflow<Order, long> parent = async (ctx, _, ct) =>
        {
            var children = new List<ChildInstance>();
            for (var i = 0; i < Children; i++)
            {
                children.Add(await ctx.StartChildAsync("doubler", i, StepKey.For("item", i), ScenarioJson.Default.Int32, cancellationToken: ct));
            }

            var results = await ctx.WhenAllChildrenAsync("all-items", children, ct);
            return results.Select((r, i) => r.GetOutput(ScenarioJson.Default.Int32) * (i + 1L)).Sum();
        };
        Workflow<int, int> doubler = (ctx, n, ct) => ctx.StepAsync("double", _ => Task.FromResult(Count("child") * 0 + (n * 2)), ScenarioJson.Default.Int32, cancellationToken: ct);

        await using var connection = await ConnectAsync(configure: o => o.WaitGracePeriod = TimeSpan.Zero);
        var first = await connection.RunAsync(parent, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(id, tenant));
        Assert.Equal(WorkflowStatus.Waiting, first.Status);

        // A replay before the children ran starts none again.
        Assert.Equal(WorkflowStatus.Waiting, (await connection.RunAsync(parent, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(id, tenant))).Status);
        var starts = (await Harness.ClaimDueWorkAsync()).Children.Where(c => c.ParentId == id).ToList();
        Assert.Equal(Children, starts.Count);
        Assert.All(starts, start => Assert.Equal(("doubler", tenant), (start.Image, start.TenantId)));
        Assert.Equal(Children, starts.Select(s => s.ChildId).Distinct().Count());

        foreach (var start in starts)
        {
            var input = JsonSerializer.Deserialize(start.Input, ScenarioJson.Default.Int32);
            var child = await connection.RunAsync(doubler, input, ScenarioJson.Default.Int32, new InstanceIdentity(start.ChildId, start.TenantId));
            Assert.Equal(WorkflowStatus.Completed, child.Status);
        }

        Assert.Contains(id, (await Harness.ClaimDueWorkAsync()).Wakeups);
        var done = await connection.RunAsync(parent, AnOrder, ScenarioJson.Default.Int64, new InstanceIdentity(id, tenant));

        Assert.Equal(WorkflowStatus.Completed, done.Status);
        Assert.Equal(Enumerable.Range(0, Children).Sum(i => i * 2L * (i + 1)), done.Result);
        Assert.Equal(Children, Runs("child"));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_failed_child_is_reported_to_its_parent_as_a_typed_failure()
    {
        var id = Ids.Instance("child-fails");
        var tenant = Ids.Tenant();
        Workflow<Order, string> parent = async (ctx, _, ct) =>
        {
            var child = await ctx.StartChildAsync("missing-image", 1, "only", ScenarioJson.Default.Int32, cancellationToken: ct);
            try
            {
                return $"ok {await ctx.AwaitChildAsync(child, ScenarioJson.Default.Int32, ct)}";
            }
            catch (ChildFailedException ex)
            {
                return $"{ex.Status}: {ex.Error}";
            }
        };

        await using var connection = await ConnectAsync(configure: o => o.WaitGracePeriod = TimeSpan.Zero);
        Assert.Equal(WorkflowStatus.Waiting, (await connection.RunAsync(parent, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant))).Status);
        var start = Assert.Single((await Harness.ClaimDueWorkAsync()).Children, c => c.ParentId == id);

        // What the environment does when the image does not exist.
        await Harness.FinishAsync(start.ChildId, InstanceStatus.Failed, "image 'missing-image' not found");
        Assert.Contains(id, (await Harness.ClaimDueWorkAsync()).Wakeups);
        var outcome = await connection.RunAsync(parent, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));

        Assert.Equal("Failed: image 'missing-image' not found", outcome.Result);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Cancelling_a_parent_cancels_its_children_but_not_the_detached_ones()
    {
        var id = Ids.Instance("cancel-tree");
        var tenant = Ids.Tenant();
        Workflow<Order, string> parent = async (ctx, _, ct) =>
        {
            var attached = await ctx.StartChildAsync("worker", 1, "attached", ScenarioJson.Default.Int32, cancellationToken: ct);
            var detached = await ctx.StartChildAsync("worker", 2, "detached", ScenarioJson.Default.Int32, new ChildOptions { Detached = true }, ct);
            await ctx.WhenAllChildrenAsync("both", [attached, detached], ct);
            return "done";
        };

        await using var connection = await ConnectAsync(configure: o => o.WaitGracePeriod = TimeSpan.Zero);
        Assert.Equal(WorkflowStatus.Waiting, (await connection.RunAsync(parent, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant))).Status);
        var children = (await Harness.ClaimDueWorkAsync()).Children.Where(c => c.ParentId == id).ToDictionary(c => c.ChildId.EndsWith("detached", StringComparison.Ordinal) ? "detached" : "attached", c => c.ChildId);

        // One child is running when the parent is cancelled: it gets a CANCEL signal; the detached one is untouched.
        await connection.Backend.RegisterAsync(children["attached"], tenant, null, CancellationToken.None);
        await Harness.FinishAsync(id, InstanceStatus.Cancelled, "stopped by the operator");

        var signal = await connection.Backend.PollSignalsAsync(children["attached"], CancellationToken.None);
        Assert.Equal(SignalKind.Cancel, signal?.Kind);
        Assert.Contains("cancel-tree", Encoding.UTF8.GetString(signal!.Payload.Span), StringComparison.Ordinal);
        Assert.Equal(InstanceStatus.Pending, (await Harness.ViewAsync(children["detached"])).Status);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task The_replay_safe_logger_writes_each_message_once_per_instance_across_relaunches()
    {
        var id = Ids.Instance("replay-log");
        var tenant = Ids.Tenant();
        using var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        Workflow<Order, string> workflow = async (ctx, _, ct) =>
        {
            ReplayLog.BeforeWait(ctx.ReplaySafeLogger);
            var approval = await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, cancellationToken: ct);
            ReplayLog.Approved(ctx.ReplaySafeLogger, approval.By);
            return approval.By;
        };

        var options = Harness.Options();
        options.HeartbeatInterval = TimeSpan.Zero;
        options.WaitGracePeriod = TimeSpan.Zero;
        await using var connection = RuntaraConnection.Connect(options, factory);
        Assert.Equal(WorkflowStatus.Waiting, (await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant))).Status);
        Assert.Equal(WorkflowStatus.Waiting, (await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant))).Status);
        await Harness.SendCustomSignalAsync(id, "approve", JsonSerializer.SerializeToUtf8Bytes(new Approval(true, "eve"), ScenarioJson.Default.Approval));
        Assert.Equal(WorkflowStatus.Completed, (await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant))).Status);

        Assert.Single(logs.Lines, line => line.Contains("before the wait", StringComparison.Ordinal));
        Assert.Single(logs.Lines, line => line.Contains("approved by eve", StringComparison.Ordinal));
    }

    [Fact(Timeout = TestTimeouts.Long)]
    public async Task A_signal_sent_at_any_moment_around_suspension_and_relaunch_is_delivered_exactly_once()
    {
        const int Repetitions = 200;
        var random = new Random(14);
        var tenant = Ids.Tenant();
        for (var rep = 0; rep < Repetitions; rep++)
        {
            var id = Ids.Instance($"race{rep}");
            var payload = JsonSerializer.SerializeToUtf8Bytes(new Approval(true, $"by-{rep}"), ScenarioJson.Default.Approval);
            var grace = TimeSpan.FromMilliseconds(random.Next(0, 30));
            var signalAfter = TimeSpan.FromMilliseconds(random.Next(0, 60));
            await using var connection = await ConnectAsync(configure: o =>
            {
                o.WaitGracePeriod = grace;
                o.SignalPollInterval = TimeSpan.FromMilliseconds(5);
            });
            Workflow<Order, string> workflow = async (ctx, _, ct) =>
            {
                var approval = await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, cancellationToken: ct);
                await ctx.StepAsync("record", _ => Count($"record-{approval.By}", approval.By), ScenarioJson.Default.String, cancellationToken: ct);
                return approval.By;
            };

            await connection.Backend.RegisterAsync(id, tenant, null, CancellationToken.None);
            var sender = Task.Run(async () =>
            {
                await Task.Delay(signalAfter);
                await Harness.SendCustomSignalAsync(id, "approve", payload);
            });

            var outcome = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
            await sender;
            for (var launches = 1; outcome.Status == WorkflowStatus.Waiting; launches++)
            {
                Assert.True(launches < 5, $"repetition {rep}: relaunched {launches} times");
                await Wait.UntilAsync(() => Harness.ClaimDueWorkAsync(), due => due.Wakeups.Contains(id), Patience, $"repetition {rep}: the wake-up");
                outcome = await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.String, new InstanceIdentity(id, tenant));
            }

            Assert.Equal(WorkflowStatus.Completed, outcome.Status);
            Assert.Equal($"by-{rep}", outcome.Result);
            Assert.Equal(1, Runs($"record-by-{rep}"));
        }
    }
}

internal static partial class ReplayLog
{
    [LoggerMessage(LogLevel.Information, "before the wait")]
    public static partial void BeforeWait(ILogger logger);

    [LoggerMessage(LogLevel.Information, "approved by {By}")]
    public static partial void Approved(ILogger logger, string by);
}

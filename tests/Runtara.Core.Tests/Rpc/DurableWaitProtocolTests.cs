using System.Diagnostics;
using System.Text;
using Runtara.Core.Tests.Infrastructure;
using WaitOutcome = Runtara.Protocol.Contracts.WaitOutcome;
using Runtara.Protocol.Management;
using ContractStatus = Runtara.Protocol.Contracts.InstanceStatus;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Core.Tests.Rpc;

/// <summary>
/// Durable waits and child instances at the wire (docs/protocol.md "Durable waits", "Child
/// instances"): Wait, StartChild, the long poll of ListDueWakeups, and what status shows of a wait.
/// Runs once per storage backend.
/// </summary>
public abstract class DurableWaitProtocolTests(ICoreFixture fixture) : CoreTestBase(fixture)
{
    [SkippableFact(Timeout = Timeout)]
    public async Task A_suspended_wait_shows_what_it_waits_for_and_a_long_poll_returns_as_soon_as_its_signal_arrives()
    {
        var (id, _) = await RunningInstanceAsync("long-poll");
        var wait = await Instance.WaitAsync(id, "wait:decision", ["approve", "reject"], timeoutMs: 3_600_000);
        Assert.True(wait.Suspended);
        Assert.False(wait.HasOutcome);

        var status = await Management.StatusAsync(id);
        Assert.Equal(InstanceStatus.StatusSuspended, status.Status);
        Assert.Equal(["approve", "reject"], status.WaitingFor.SignalNames);
        Assert.Equal(wait.DeadlineMs, status.WaitingFor.DeadlineMs);

        // Nothing of this instance is due: a long poll is held until the signal makes it due.
        var poll = Management.ListDueWakeupsAsync(1000, leaseMs: 60_000, waitMs: 20_000);
        await Task.Delay(300);
        var clock = Stopwatch.StartNew();
        Assert.True((await Management.SendCustomSignalAsync(id, "reject", Bytes("\"no\""))).Success);
        var due = await poll;
        while (!due.Wakeups.Any(w => w.InstanceId == id) && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            // Another test's wake-up answered the poll first: poll again.
            due = await Management.ListDueWakeupsAsync(1000, leaseMs: 60_000, waitMs: 5_000);
        }

        Assert.Contains(due.Wakeups, w => w.InstanceId == id);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the long poll answered {clock.Elapsed} after the signal");

        // The relaunched instance takes the signal through the same wait.
        await Instance.RegisterAsync(id, (await Management.StatusAsync(id)).TenantId);
        var decided = await Instance.WaitAsync(id, "wait:decision", ["approve", "reject"], timeoutMs: 3_600_000);
        var outcome = WaitOutcome.TryParse(decided.Outcome.Span);
        Assert.Equal(("signal", "reject", "\"no\""), (outcome!.Kind, outcome.Signal, Encoding.UTF8.GetString(outcome.Payload!)));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_wait_deadline_is_fixed_once_and_its_timeout_is_stored_as_the_outcome()
    {
        var (id, _) = await RunningInstanceAsync("deadline");
        var first = await Instance.WaitAsync(id, "wait:t", ["never"], timeoutMs: 200, suspend: false);
        var again = await Instance.WaitAsync(id, "wait:t", ["never"], timeoutMs: 60_000, suspend: false);
        Assert.Equal(first.DeadlineMs, again.DeadlineMs);

        await Task.Delay(300);
        var decided = await Instance.WaitAsync(id, "wait:t", ["never"], timeoutMs: 200, suspend: true);
        Assert.False(decided.Suspended);
        Assert.Equal(WaitOutcome.TimeoutKind, WaitOutcome.TryParse(decided.Outcome.Span)!.Kind);

        // A signal after the timeout does not change the stored outcome.
        Assert.True((await Management.SendCustomSignalAsync(id, "never", Bytes("late"))).Success);
        var replay = await Instance.WaitAsync(id, "wait:t", ["never"], timeoutMs: 200);
        Assert.Equal(WaitOutcome.TimeoutKind, WaitOutcome.TryParse(replay.Outcome.Span)!.Kind);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Start_child_records_one_child_per_key_and_its_end_wakes_the_waiting_parent()
    {
        var (parent, tenant) = await RunningInstanceAsync("parent");
        var started = await Instance.StartChildAsync(parent, "charge", "payments", Bytes("{\"amount\":5}"));
        var repeated = await Instance.StartChildAsync(parent, "charge", "payments", Bytes("{\"amount\":5}"));
        Assert.True(started.Created);
        Assert.False(repeated.Created);
        Assert.Equal(started.ChildId, repeated.ChildId);
        Assert.Equal($"{parent}.charge", started.ChildId);

        var claim = await Management.ListDueWakeupsAsync(1000, leaseMs: 60_000);
        var start = Assert.Single(claim.ChildStarts, c => c.ChildId == started.ChildId);
        Assert.Equal((parent, tenant, "payments", "{\"amount\":5}"), (start.ParentId, start.TenantId, start.Image, start.Input.ToStringUtf8()));
        Assert.DoesNotContain((await Management.ListDueWakeupsAsync(1000, leaseMs: 60_000)).ChildStarts, c => c.ChildId == started.ChildId);

        var wait = await Instance.WaitAsync(parent, "wait:child/charge", [], [started.ChildId]);
        Assert.True(wait.Suspended);
        var waiting = (await Management.StatusAsync(parent)).WaitingFor;
        Assert.Equal((1u, 0u), (waiting.Children, waiting.ChildrenEnded));
        Assert.Equal(parent, (await Management.StatusAsync(started.ChildId)).ParentId);

        await Instance.RegisterAsync(started.ChildId, tenant);
        Assert.True((await Instance.EventAsync(started.ChildId, Inst.InstanceEventType.EventCompleted, Bytes("{\"charged\":true}"))).Success);
        await Wait.UntilAsync(() => Management.ListDueWakeupsAsync(1000, leaseMs: 60_000, waitMs: 5_000), r => r.Wakeups.Any(w => w.InstanceId == parent), TimeSpan.FromSeconds(15), "the parent's wake-up");

        await Instance.RegisterAsync(parent, tenant);
        var outcome = WaitOutcome.TryParse((await Instance.WaitAsync(parent, "wait:child/charge", [], [started.ChildId])).Outcome.Span)!;
        var child = Assert.Single(outcome.Children!);
        Assert.Equal((ContractStatus.Completed, "{\"charged\":true}"), (child.Status, Encoding.UTF8.GetString(child.Output!)));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Bad_wait_and_child_requests_are_refused_with_clear_errors()
    {
        var (id, _) = await RunningInstanceAsync("bad-wait");
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.WaitAsync(id, "wait:none", []));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.WaitAsync(id, "", ["x"]));
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Instance.WaitAsync(Ids.Instance(), "wait:x", ["x"]));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.StartChildAsync(id, "k", ""));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.StartChildAsync(id, "bad\nkey", "image"));
        Assert.Equal(InstanceStatus.StatusRunning, (await Management.StatusAsync(id)).Status);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SqliteDurableWaitProtocolTests(SqliteCoreFixture fixture) : DurableWaitProtocolTests(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresDurableWaitProtocolTests(PostgresFixture fixture) : DurableWaitProtocolTests(fixture);

using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Engine.Storage;
using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Tests.Rpc;

/// <summary>
/// SPEC §18.2 (instance protocol end to end), corrected per §19, plus every error case, against a
/// real core over TLS/TCP on loopback. Runs once per storage backend.
/// </summary>
public abstract class InstanceProtocolTests(ICoreFixture fixture) : CoreTestBase(fixture)
{
    // ---- lifecycle ----

    [SkippableFact(Timeout = Timeout)]
    public async Task Full_lifecycle_registers_running_saves_fresh_then_replays_and_reports_the_checkpoint()
    {
        var (id, _) = await RunningInstanceAsync();
        var fresh = await Instance.CheckpointAsync(id, "step-1", Bytes("original"));
        Assert.False(fresh.Found);
        Assert.True(fresh.State.IsEmpty);

        var replay = await Instance.CheckpointAsync(id, "step-1", Bytes("ignored"));
        Assert.True(replay.Found);
        Assert.Equal("original", replay.State.ToStringUtf8());

        var status = await Instance.StatusAsync(id);
        Assert.Equal(InstanceStatus.StatusRunning, status.Status);
        Assert.Equal("step-1", status.CheckpointId);
        Assert.True(status.StartedAtMs > 0);
        Assert.False(status.HasFinishedAtMs);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_rejects_an_empty_instance_id() =>
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.RegisterAsync(string.Empty, Ids.Tenant()));

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_rejects_an_empty_tenant_id()
    {
        var id = Ids.Instance();
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.RegisterAsync(id, string.Empty));
        Assert.Equal(InstanceStatus.StatusUnknown, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_moves_a_created_pending_instance_to_running()
    {
        var id = Ids.Instance();
        var tenant = Ids.Tenant();
        await Management.CreateAsync(id, tenant);
        Assert.Equal(InstanceStatus.StatusPending, (await Instance.StatusAsync(id)).Status);
        Assert.True((await Instance.RegisterAsync(id, tenant)).Success);
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_superseded_incarnation_is_refused_over_the_wire_and_the_current_one_accepted()
    {
        var id = Ids.Instance();
        var tenant = Ids.Tenant();
        var old = (await Instance.RegisterAsync(id, tenant)).Incarnation;
        var current = (await Instance.RegisterAsync(id, tenant)).Incarnation;
        Assert.Equal(old + 1, current);

        RpcRequest Checkpoint(string key, ulong incarnation) => new()
        {
            Checkpoint = new CheckpointRequest { InstanceId = id, CheckpointId = key, State = Google.Protobuf.ByteString.CopyFromUtf8(key) },
            Incarnation = incarnation,
        };

        var refused = await AssertRpcErrorAsync(CoreErrorCodes.StaleIncarnation, () => Instance.Client.CallAsync(Checkpoint("stale", old)));
        Assert.Contains($"incarnation {old} was superseded by incarnation {current}", refused.Message, StringComparison.Ordinal);
        Assert.False((await Instance.Client.CallAsync(Checkpoint("fresh", current))).Checkpoint.Found);
        Assert.False((await Instance.Client.CallAsync(Checkpoint("unfenced", 0))).Checkpoint.Found);
        await AssertRpcErrorAsync(CoreErrorCodes.StaleIncarnation, () => Instance.Client.CallAsync(new RpcRequest
        {
            InstanceEvent = new InstanceEvent { InstanceId = id, EventType = InstanceEventType.EventCompleted },
            Incarnation = old,
        }));

        Assert.False((await Instance.GetCheckpointAsync(id, "stale")).Found);
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_again_while_running_is_idempotent_and_keeps_the_first_start_time()
    {
        var (id, tenant) = await RunningInstanceAsync();
        var first = await Instance.StatusAsync(id);
        Assert.True((await Instance.RegisterAsync(id, tenant)).Success);
        var second = await Instance.StatusAsync(id);
        Assert.Equal(InstanceStatus.StatusRunning, second.Status);
        Assert.Equal(first.StartedAtMs, second.StartedAtMs);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_answers_the_last_checkpoint_id_empty_for_an_instance_without_checkpoints()
    {
        var id = Ids.Instance();
        var tenant = Ids.Tenant();
        var first = await Instance.RegisterAsync(id, tenant);
        Assert.True(first.HasLastCheckpointId);
        Assert.Equal(string.Empty, first.LastCheckpointId);

        await Instance.CheckpointAsync(id, "step-1", Bytes("one"));
        await Instance.CheckpointAsync(id, "step-2", Bytes("two"));
        var again = await Instance.RegisterAsync(id, tenant);
        Assert.True(again.HasLastCheckpointId);
        Assert.Equal("step-2", again.LastCheckpointId);
        Assert.Equal("step-2", (await Instance.StatusAsync(id)).CheckpointId);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_refuses_a_terminal_instance_and_changes_nothing()
    {
        var (id, tenant) = await RunningInstanceAsync();
        await Instance.EventAsync(id, InstanceEventType.EventCompleted, Bytes("{\"ok\":true}"));
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.RegisterAsync(id, tenant));
        var status = await Instance.StatusAsync(id);
        Assert.Equal(InstanceStatus.StatusCompleted, status.Status);
        Assert.Equal("{\"ok\":true}", status.Output.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_refuses_an_instance_of_another_tenant() 
    {
        var (id, _) = await RunningInstanceAsync();
        await AssertRpcErrorAsync(CoreErrorCodes.TenantMismatch, () => Instance.RegisterAsync(id, Ids.Tenant()));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_with_an_existing_checkpoint_succeeds()
    {
        var (id, tenant) = await RunningInstanceAsync();
        await Instance.CheckpointAsync(id, "cp", Bytes("s"));
        Assert.True((await Instance.RegisterAsync(id, tenant, "cp")).Success);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Register_with_an_unknown_checkpoint_fails_with_checkpoint_not_found()
    {
        var id = Ids.Instance();
        await AssertRpcErrorAsync(CoreErrorCodes.CheckpointNotFound, () => Instance.RegisterAsync(id, Ids.Tenant(), "missing"));
        Assert.Equal(InstanceStatus.StatusUnknown, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Status_of_an_unknown_instance_is_unknown_with_a_not_found_error()
    {
        var status = await Instance.StatusAsync(Ids.Instance());
        Assert.Equal(InstanceStatus.StatusUnknown, status.Status);
        Assert.Equal(0, status.StartedAtMs);
        Assert.Equal("Instance not found", status.Error);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task An_empty_request_envelope_is_answered_with_EMPTY_REQUEST() =>
        await AssertRpcErrorAsync(RpcErrorCodes.EmptyRequest, () => Instance.Client.CallAsync(new RpcRequest()));

    // ---- checkpoints ----

    [SkippableFact(Timeout = Timeout)]
    public async Task Get_checkpoint_reads_the_stored_state_and_a_missing_key_is_not_found()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.CheckpointAsync(id, "a", Bytes("alpha"));
        var found = await Instance.GetCheckpointAsync(id, "a");
        Assert.True(found.Found);
        Assert.Equal("alpha", found.State.ToStringUtf8());
        var missing = await Instance.GetCheckpointAsync(id, "b");
        Assert.False(missing.Found);
        Assert.True(missing.State.IsEmpty);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Get_checkpoint_of_an_unknown_instance_is_instance_not_found() =>
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Instance.GetCheckpointAsync(Ids.Instance(), "a"));

    [SkippableFact(Timeout = Timeout)]
    public async Task Checkpoints_are_append_only_distinct_keys_kept_and_existing_keys_never_overwritten()
    {
        var (id, _) = await RunningInstanceAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.False((await Instance.CheckpointAsync(id, $"k{i}", Bytes($"v{i}"))).Found);
        }

        for (var i = 0; i < 5; i++)
        {
            var again = await Instance.CheckpointAsync(id, $"k{i}", Bytes("overwrite?"));
            Assert.True(again.Found);
            Assert.Equal($"v{i}", again.State.ToStringUtf8());
        }

        var list = await Management.ListCheckpointsAsync(new Mgmt.ListCheckpointsRequest { InstanceId = id });
        Assert.Equal(5u, list.TotalCount);
        Assert.Equal("k4", (await Instance.StatusAsync(id)).CheckpointId);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_large_state_round_trips()
    {
        var (id, _) = await RunningInstanceAsync();
        var state = new byte[3 * 1024 * 1024];
        new Random(42).NextBytes(state);
        await Instance.CheckpointAsync(id, "big", state);
        Assert.Equal(state, (await Instance.CheckpointAsync(id, "big", [])).State.ToByteArray());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Arbitrary_binary_state_round_trips_byte_for_byte()
    {
        var (id, _) = await RunningInstanceAsync();
        var state = Enumerable.Range(0, 512).Select(i => (byte)(i % 256)).ToArray();
        await Instance.CheckpointAsync(id, "bin", state);
        Assert.Equal(state, (await Instance.GetCheckpointAsync(id, "bin")).State.ToByteArray());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_checkpoint_larger_than_the_limit_is_refused_and_not_stored()
    {
        var (id, _) = await RunningInstanceAsync();
        await AssertRpcErrorAsync(CoreErrorCodes.CheckpointTooLarge, () => Instance.CheckpointAsync(id, "huge", new byte[(4 * 1024 * 1024) + 1]));

        // Ids and names are bounded, so no list answer can grow without bound.
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.CheckpointAsync(id, new string('k', 1025), Bytes("{}")));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.SleepAsync(id, 10, new string('s', 1025)));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.RegisterAsync(new string('i', 257), Ids.Tenant()));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.WaitAsync(id, "wait:long", [new string('n', 1025)], suspend: false));
        Assert.False((await Instance.CheckpointAsync(id, new string('k', 1024), Bytes("{}"))).Found);

        // The state a sleep stores as its checkpoint is held to the same limit.
        await AssertRpcErrorAsync(CoreErrorCodes.CheckpointTooLarge, () => Instance.SleepAsync(id, 10_000, "huge-nap", new byte[(4 * 1024 * 1024) + 1]));
        Assert.False((await Instance.GetCheckpointAsync(id, "huge-nap")).Found);
        Assert.False((await Instance.GetCheckpointAsync(id, "huge")).Found);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_checkpoint_survives_a_client_reconnect()
    {
        var (id, _) = await RunningInstanceAsync();
        await using (var first = new InstanceApi(Core.NewInstanceClient()))
        {
            await first.CheckpointAsync(id, "cp", Bytes("kept"));
        }

        await using var second = new InstanceApi(Core.NewInstanceClient());
        var replay = await second.CheckpointAsync(id, "cp", Bytes("other"));
        Assert.True(replay.Found);
        Assert.Equal("kept", replay.State.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Sequential_saves_each_update_the_last_checkpoint_but_replays_do_not()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.CheckpointAsync(id, "one", Bytes("1"));
        await Instance.CheckpointAsync(id, "two", Bytes("2"));
        Assert.Equal("two", (await Instance.StatusAsync(id)).CheckpointId);
        await Instance.CheckpointAsync(id, "one", Bytes("1"));
        Assert.Equal("two", (await Instance.StatusAsync(id)).CheckpointId);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_checkpoint_for_an_unknown_instance_is_instance_not_found() =>
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Instance.CheckpointAsync(Ids.Instance(), "cp", Bytes("x")));

    [SkippableFact(Timeout = Timeout)]
    public async Task A_checkpoint_with_an_empty_key_is_a_validation_error() =>
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, async () => await Instance.CheckpointAsync((await RunningInstanceAsync()).InstanceId, string.Empty, Bytes("x")));

    [SkippableFact(Timeout = Timeout)]
    public async Task A_checkpoint_on_a_completed_instance_is_refused_and_nothing_is_stored()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.EventAsync(id, InstanceEventType.EventCompleted);
        var error = await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.CheckpointAsync(id, "late", Bytes("x")));
        Assert.Contains("completed", error.Message, StringComparison.Ordinal);
        Assert.False((await Instance.GetCheckpointAsync(id, "late")).Found);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_checkpoint_on_a_pending_instance_is_refused()
    {
        var id = Ids.Instance();
        await Management.CreateAsync(id, Ids.Tenant());
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.CheckpointAsync(id, "cp", Bytes("x")));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Racing_writers_on_one_key_all_get_the_single_stored_state()
    {
        var (id, _) = await RunningInstanceAsync();
        await using var client = new InstanceApi(Core.NewInstanceClient(maxConnections: 32));
        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => client.CheckpointAsync(id, "race", Bytes($"writer-{i}"))));
        Assert.Single(responses, r => !r.Found);
        var stored = (await Instance.GetCheckpointAsync(id, "race")).State.ToStringUtf8();
        Assert.All(responses.Where(r => r.Found), r => Assert.Equal(stored, r.State.ToStringUtf8()));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Retry_attempts_are_recorded_apart_from_checkpoints()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.RetryAttemptAsync(id, "durable::fetch::1", 1, "timeout");
        await Instance.RetryAttemptAsync(id, "durable::fetch::1", 2);
        var attempts = (await Wait.UntilAsync(
            () => Management.ListRetryAttemptsAsync(new Mgmt.ListRetryAttemptsRequest { InstanceId = id }), a => a.TotalCount == 2, TimeSpan.FromSeconds(10), "two retry attempts")).Attempts;
        Assert.Equal([1u, 2u], attempts.Select(a => a.AttemptNumber));
        Assert.Equal("timeout", attempts[0].ErrorMessage);
        Assert.False(attempts[1].HasErrorMessage);
        Assert.Equal(0u, (await Management.ListCheckpointsAsync(new Mgmt.ListCheckpointsRequest { InstanceId = id })).TotalCount);
    }

    // ---- signals ----

    [SkippableFact(Timeout = Timeout)]
    public async Task A_signal_is_delivered_by_every_poll_until_acknowledged_and_never_after()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalPause, Bytes("why"));
        for (var i = 0; i < 3; i++)
        {
            var poll = await Instance.PollAsync(id);
            Assert.Equal(SignalType.SignalPause, poll.Signal.SignalType);
            Assert.Equal("why", poll.Signal.Payload.ToStringUtf8());
            Assert.Equal(id, poll.Signal.InstanceId);
        }

        await Instance.AckAsync(id, SignalType.SignalPause);
        await Wait.UntilAsync(() => Instance.PollAsync(id), p => p.Signal is null, TimeSpan.FromSeconds(10), "the acknowledged signal to disappear");
        Assert.Null((await Instance.CheckpointAsync(id, "after-ack", Bytes("x"))).PendingSignal);
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Each_signal_type_is_delivered_with_its_enum_value()
    {
        var (running, _) = await RunningInstanceAsync();
        await Management.SendSignalAsync(running, Mgmt.SignalType.SignalCancel);
        Assert.Equal(SignalType.SignalCancel, (await Instance.PollAsync(running)).Signal.SignalType);
        await Management.SendSignalAsync(running, Mgmt.SignalType.SignalPause);
        Assert.Equal(SignalType.SignalPause, (await Instance.PollAsync(running)).Signal.SignalType);

        var (suspended, _) = await RunningInstanceAsync();
        await Instance.EventAsync(suspended, InstanceEventType.EventSuspended);
        await Management.SendSignalAsync(suspended, Mgmt.SignalType.SignalResume);
        Assert.Equal(SignalType.SignalResume, (await Instance.PollAsync(suspended)).Signal.SignalType);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_signal_to_a_pending_instance_is_stored_and_delivered_after_register()
    {
        var id = Ids.Instance();
        var tenant = Ids.Tenant();
        await Management.CreateAsync(id, tenant);
        Assert.True((await Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel, Bytes("early"))).Success);
        await Instance.RegisterAsync(id, tenant);
        Assert.Equal("early", (await Instance.PollAsync(id)).Signal.Payload.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task An_empty_signal_payload_is_delivered_as_empty()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel);
        Assert.True((await Instance.PollAsync(id)).Signal.Payload.IsEmpty);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Polling_an_unknown_instance_returns_no_signal()
    {
        var poll = await Instance.PollAsync(Ids.Instance(), "cp");
        Assert.Null(poll.Signal);
        Assert.Null(poll.CustomSignal);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_poll_with_store_as_takes_the_custom_signal_into_that_checkpoint_and_a_repeat_answers_from_it()
    {
        var (id, _) = await RunningInstanceAsync("store-as");

        // The first poll takes the payload and stores it as the checkpoint in one transaction.
        Assert.True((await Management.SendCustomSignalAsync(id, "approve", Bytes("alice"))).Success);
        var taken = await Instance.PollAsync(id, "approve", "signal:approve");
        Assert.Equal(("approve", "alice"), (taken.CustomSignal.CheckpointId, taken.CustomSignal.Payload.ToStringUtf8()));
        var stored = await Instance.GetCheckpointAsync(id, "signal:approve");
        Assert.True(stored.Found);
        Assert.Equal("alice", stored.State.ToStringUtf8());

        // A repeat (its first response was lost) answers the stored payload and consumes nothing, not even a newer signal.
        Assert.True((await Management.SendCustomSignalAsync(id, "approve", Bytes("mallory"))).Success);
        var repeated = await Instance.PollAsync(id, "approve", "signal:approve");
        Assert.Equal(("approve", "alice"), (repeated.CustomSignal.CheckpointId, repeated.CustomSignal.Payload.ToStringUtf8()));

        // The newer signal is still there for a poll stored under another checkpoint id.
        var newer = await Instance.PollAsync(id, "approve", "signal:approve-again");
        Assert.Equal("mallory", newer.CustomSignal.Payload.ToStringUtf8());
        Assert.Equal("alice", (await Instance.GetCheckpointAsync(id, "signal:approve")).State.ToStringUtf8());
        Assert.Equal("mallory", (await Instance.GetCheckpointAsync(id, "signal:approve-again")).State.ToStringUtf8());

        // Nothing is left to take.
        Assert.Null((await Instance.PollAsync(id, "approve", "signal:approve-third")).CustomSignal);
        Assert.False((await Instance.GetCheckpointAsync(id, "signal:approve-third")).Found);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task An_ack_with_acknowledged_false_leaves_the_signal_pending_and_the_status_unchanged()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel);
        await Instance.AckAsync(id, SignalType.SignalCancel, acknowledged: false);

        // A unary call on the same client runs after the one-way ack on its connection.
        await Instance.StatusAsync(id);
        Assert.Equal(SignalType.SignalCancel, (await Instance.PollAsync(id)).Signal.SignalType);
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task The_pending_signal_rides_on_every_checkpoint_response_fresh_or_replayed()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalPause, Bytes("p"));
        Assert.Equal(SignalType.SignalPause, (await Instance.CheckpointAsync(id, "a", Bytes("1"))).PendingSignal.SignalType);
        Assert.Equal(SignalType.SignalPause, (await Instance.CheckpointAsync(id, "a", Bytes("1"))).PendingSignal.SignalType);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Cancel_of_a_running_instance_poll_then_ack_ends_it_cancelled_with_finished_at()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel, Bytes("user asked"));
        var poll = await Instance.PollAsync(id);
        Assert.Equal("user asked", poll.Signal.Payload.ToStringUtf8());
        await Instance.AckAsync(id, SignalType.SignalCancel);
        var status = await Wait.UntilAsync(() => Instance.StatusAsync(id), s => s.Status == InstanceStatus.StatusCancelled, TimeSpan.FromSeconds(10), "cancelled");
        Assert.True(status.HasFinishedAtMs);
        Assert.Null((await Instance.PollAsync(id)).Signal);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Cancel_of_a_suspended_instance_is_accepted_and_its_ack_cancels_it()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.EventAsync(id, InstanceEventType.EventSuspended);
        Assert.True((await Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel)).Success);
        Assert.Equal(SignalType.SignalCancel, (await Instance.PollAsync(id)).Signal.SignalType);
        await Instance.AckAsync(id, SignalType.SignalCancel);
        await Wait.UntilAsync(() => Instance.StatusAsync(id), s => s.Status == InstanceStatus.StatusCancelled, TimeSpan.FromSeconds(10), "cancelled");
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_signal_to_an_unknown_instance_is_instance_not_found() =>
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Management.SendSignalAsync(Ids.Instance(), Mgmt.SignalType.SignalCancel));

    [SkippableFact(Timeout = Timeout)]
    public async Task Signals_to_completed_failed_or_cancelled_instances_are_refused_as_terminal()
    {
        var (completed, _) = await RunningInstanceAsync();
        await Instance.EventAsync(completed, InstanceEventType.EventCompleted);
        var (failed, _) = await RunningInstanceAsync();
        await Instance.EventAsync(failed, InstanceEventType.EventFailed, Bytes("boom"));
        var (cancelled, _) = await RunningInstanceAsync();
        await Management.FinishAsync(cancelled, Mgmt.InstanceStatus.StatusCancelled, "stopped");
        foreach (var id in new[] { completed, failed, cancelled })
        {
            await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel));
            Assert.Null((await Instance.PollAsync(id)).Signal);
        }
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_newer_signal_replaces_the_pending_one_and_a_stale_ack_is_ignored()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel, Bytes("first"));
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalPause, Bytes("second"));
        var poll = await Instance.PollAsync(id);
        Assert.Equal(SignalType.SignalPause, poll.Signal.SignalType);
        Assert.Equal("second", poll.Signal.Payload.ToStringUtf8());

        await Instance.AckAsync(id, SignalType.SignalCancel);
        await Instance.StatusAsync(id);
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
        Assert.Equal(SignalType.SignalPause, (await Instance.PollAsync(id)).Signal.SignalType);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Pause_ack_suspend_then_resume_register_ack_runs_the_instance_again()
    {
        var (id, tenant) = await RunningInstanceAsync();
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalPause);
        Assert.Equal(SignalType.SignalPause, (await Instance.PollAsync(id)).Signal.SignalType);
        await Instance.CheckpointAsync(id, "paused-at", Bytes("progress"));
        await Instance.AckAsync(id, SignalType.SignalPause);
        await Instance.EventAsync(id, InstanceEventType.EventSuspended);
        Assert.Equal(InstanceStatus.StatusSuspended, (await Instance.StatusAsync(id)).Status);

        // The acknowledgement is one-way, sent on a connection of its own: calls on the multiplexed
        // connection may overtake it (and on PostgreSQL several writers commit side by side).
        await Wait.UntilAsync(() => Instance.PollAsync(id), p => p.Signal is null, TimeSpan.FromSeconds(10), "pause acknowledged");

        Assert.True((await Management.SendSignalAsync(id, Mgmt.SignalType.SignalResume)).Success);
        Assert.True((await Instance.RegisterAsync(id, tenant, "paused-at")).Success);
        Assert.Equal(SignalType.SignalResume, (await Instance.PollAsync(id)).Signal.SignalType);
        await Instance.AckAsync(id, SignalType.SignalResume);
        await Wait.UntilAsync(() => Instance.PollAsync(id), p => p.Signal is null, TimeSpan.FromSeconds(10), "resume acknowledged");
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Resume_of_a_running_instance_and_pause_of_a_suspended_one_are_refused()
    {
        var (id, _) = await RunningInstanceAsync();
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Management.SendSignalAsync(id, Mgmt.SignalType.SignalResume));
        await Instance.EventAsync(id, InstanceEventType.EventSuspended);
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Management.SendSignalAsync(id, Mgmt.SignalType.SignalPause));
        Assert.Null((await Instance.PollAsync(id)).Signal);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Checkpoints_remain_intact_after_a_cancel()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.CheckpointAsync(id, "a", Bytes("1"));
        await Instance.CheckpointAsync(id, "b", Bytes("2"));
        await Management.SendSignalAsync(id, Mgmt.SignalType.SignalCancel);
        await Instance.AckAsync(id, SignalType.SignalCancel);
        await Wait.UntilAsync(() => Instance.StatusAsync(id), s => s.Status == InstanceStatus.StatusCancelled, TimeSpan.FromSeconds(10), "cancelled");
        Assert.Equal("1", (await Instance.GetCheckpointAsync(id, "a")).State.ToStringUtf8());
        Assert.Equal("2", (await Instance.GetCheckpointAsync(id, "b")).State.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_custom_signal_is_delivered_exactly_once_on_the_checkpoint_it_targets()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendCustomSignalAsync(id, "wait-input", Bytes("first"));
        await Management.SendCustomSignalAsync(id, "wait-input", Bytes("second"));
        Assert.Null((await Instance.CheckpointAsync(id, "other", Bytes("x"))).CustomSignal);
        var delivered = await Instance.CheckpointAsync(id, "wait-input", Bytes("x"));
        Assert.Equal("wait-input", delivered.CustomSignal.CheckpointId);
        Assert.Equal("second", delivered.CustomSignal.Payload.ToStringUtf8());
        Assert.Null((await Instance.CheckpointAsync(id, "wait-input", Bytes("x"))).CustomSignal);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_custom_signal_is_consumed_by_a_poll_that_names_its_checkpoint()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendCustomSignalAsync(id, "step", Bytes("go"));
        Assert.Null((await Instance.PollAsync(id)).CustomSignal);
        Assert.Equal("go", (await Instance.PollAsync(id, "step")).CustomSignal.Payload.ToStringUtf8());
        Assert.Null((await Instance.PollAsync(id, "step")).CustomSignal);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_store_as_poll_consumes_the_custom_signal_and_stores_it_as_a_checkpoint_in_one_step()
    {
        var (id, _) = await RunningInstanceAsync();
        Assert.Null((await Instance.PollAsync(id, "approve", "signal:approve")).CustomSignal);
        Assert.False((await Instance.GetCheckpointAsync(id, "signal:approve")).Found);

        await Management.SendCustomSignalAsync(id, "approve", Bytes("yes"));
        var delivered = (await Instance.PollAsync(id, "approve", "signal:approve")).CustomSignal;
        Assert.Equal("approve", delivered.CheckpointId);
        Assert.Equal("yes", delivered.Payload.ToStringUtf8());

        // Both halves are committed when the response arrives: the checkpoint holds it, the wait point is empty.
        var stored = await Instance.GetCheckpointAsync(id, "signal:approve");
        Assert.True(stored.Found);
        Assert.Equal("yes", stored.State.ToStringUtf8());
        Assert.Equal("signal:approve", (await Instance.StatusAsync(id)).CheckpointId);
        Assert.Null((await Instance.PollAsync(id, "approve")).CustomSignal);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_repeated_store_as_poll_returns_the_stored_payload_and_leaves_a_newer_signal_waiting()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendCustomSignalAsync(id, "approve", Bytes("first"));
        Assert.Equal("first", (await Instance.PollAsync(id, "approve", "signal:approve")).CustomSignal.Payload.ToStringUtf8());
        await Management.SendCustomSignalAsync(id, "approve", Bytes("second"));

        // The repeat (a lost response, a relaunch) is answered from the checkpoint.
        var repeated = (await Instance.PollAsync(id, "approve", "signal:approve")).CustomSignal;
        Assert.Equal("approve", repeated.CheckpointId);
        Assert.Equal("first", repeated.Payload.ToStringUtf8());
        Assert.Equal("first", (await Instance.GetCheckpointAsync(id, "signal:approve")).State.ToStringUtf8());

        // The newer payload was not consumed: it still waits at its checkpoint id.
        Assert.Equal("second", (await Instance.PollAsync(id, "approve")).CustomSignal.Payload.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Racing_store_as_polls_all_get_the_one_payload_and_consume_only_it()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendCustomSignalAsync(id, "approve", Bytes("only"));
        var polls = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Instance.PollAsync(id, "approve", "signal:approve")));
        Assert.All(polls, poll => Assert.Equal("only", poll.CustomSignal.Payload.ToStringUtf8()));
        Assert.Equal("only", (await Instance.GetCheckpointAsync(id, "signal:approve")).State.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_store_as_poll_without_a_checkpoint_id_is_a_validation_error_and_consumes_nothing()
    {
        var (id, _) = await RunningInstanceAsync();
        await Management.SendCustomSignalAsync(id, "approve", Bytes("kept"));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.PollAsync(id, storeAsCheckpointId: "signal:approve"));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.PollAsync(id, string.Empty, "signal:approve"));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.PollAsync(id, "approve", string.Empty));
        Assert.False((await Instance.GetCheckpointAsync(id, "signal:approve")).Found);
        Assert.Equal("kept", (await Instance.PollAsync(id, "approve")).CustomSignal.Payload.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_store_as_poll_of_a_non_running_instance_is_refused_and_consumes_nothing()
    {
        var id = Ids.Instance();
        var tenant = Ids.Tenant();
        await Management.CreateAsync(id, tenant);
        await Management.SendCustomSignalAsync(id, "approve", Bytes("kept"));
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.PollAsync(id, "approve", "signal:approve"));

        Assert.True((await Instance.RegisterAsync(id, tenant)).Success);
        Assert.False((await Instance.GetCheckpointAsync(id, "signal:approve")).Found);
        await Instance.EventAsync(id, InstanceEventType.EventCompleted, Bytes("{}"));
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.PollAsync(id, "approve", "signal:approve"));
        Assert.False((await Instance.GetCheckpointAsync(id, "signal:approve")).Found);
        Assert.Equal("kept", (await Instance.PollAsync(id, "approve")).CustomSignal.Payload.ToStringUtf8());
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Instance.PollAsync(Ids.Instance(), "approve", "signal:approve"));
    }

    // ---- sleep ----

    [SkippableFact(Timeout = Timeout)]
    public async Task Short_sleeps_of_100_and_500_ms_complete_in_process_with_status_running_and_no_wake_entry()
    {
        var (id, _) = await RunningInstanceAsync();
        foreach (var ms in new ulong[] { 100, 500 })
        {
            var watch = Stopwatch.StartNew();
            var response = await Instance.SleepAsync(id, ms, $"sleep-{ms}");
            Assert.False(response.Suspended);
            Assert.True(watch.ElapsedMilliseconds >= (long)ms - 5, $"slept {watch.ElapsedMilliseconds} ms for {ms} ms");
            var status = await Management.StatusAsync(id);
            Assert.Equal(Mgmt.InstanceStatus.StatusRunning, status.Status);
            Assert.False(status.HasWakeAtMs);
        }

        Assert.DoesNotContain((await Management.ListDueWakeupsAsync(1000)).Wakeups, w => w.InstanceId == id);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Several_short_sleeps_in_sequence_each_wait_their_time()
    {
        var (id, _) = await RunningInstanceAsync();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            Assert.False((await Instance.SleepAsync(id, 50)).Suspended);
        }

        Assert.True(watch.ElapsedMilliseconds >= 145);
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_long_sleep_suspends_durably_is_listed_when_due_and_a_replay_after_waking_returns_at_once()
    {
        var (id, tenant) = await RunningInstanceAsync();
        var sleep = await Instance.SleepAsync(id, 1500, "nap", Bytes("before-nap"));
        Assert.True(sleep.Suspended);
        var status = await Management.StatusAsync(id);
        Assert.Equal(Mgmt.InstanceStatus.StatusSuspended, status.Status);
        Assert.Equal(sleep.WakeAtMs, status.WakeAtMs);
        Assert.Equal("nap", status.CheckpointId);
        Assert.DoesNotContain((await Management.ListDueWakeupsAsync(1000)).Wakeups, w => w.InstanceId == id);

        var due = await Wait.UntilAsync(
            () => Management.ListDueWakeupsAsync(1000),
            r => r.Wakeups.Any(w => w.InstanceId == id),
            TimeSpan.FromSeconds(10),
            "the wake-up to be due");
        var wakeup = due.Wakeups.Single(w => w.InstanceId == id);
        Assert.Equal(tenant, wakeup.TenantId);
        Assert.Equal("nap", wakeup.CheckpointId);
        Assert.Equal(sleep.WakeAtMs, wakeup.WakeAtMs);

        // The relaunched instance registers, replays its checkpoint and the same sleep: it is over.
        Assert.True((await Instance.RegisterAsync(id, tenant, "nap")).Success);
        Assert.Equal("before-nap", (await Instance.CheckpointAsync(id, "nap", Bytes("x"))).State.ToStringUtf8());
        var watch = Stopwatch.StartNew();
        var replay = await Instance.SleepAsync(id, 1500, "nap", Bytes("before-nap"));
        Assert.False(replay.Suspended);
        Assert.Equal(sleep.WakeAtMs, replay.WakeAtMs);
        Assert.True(watch.ElapsedMilliseconds < 1000);
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
        Assert.DoesNotContain((await Management.ListDueWakeupsAsync(1000)).Wakeups, w => w.InstanceId == id);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_durable_sleep_without_a_checkpoint_id_is_a_validation_error()
    {
        var (id, _) = await RunningInstanceAsync();
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.SleepAsync(id, 60_000));
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Sleep_of_an_unknown_or_finished_instance_is_refused()
    {
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Instance.SleepAsync(Ids.Instance(), 10));
        var (id, _) = await RunningInstanceAsync();
        await Instance.EventAsync(id, InstanceEventType.EventCompleted);
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.SleepAsync(id, 10));
    }

    // ---- events ----

    [SkippableFact(Timeout = Timeout)]
    public async Task Custom_events_are_stored_with_subtypes_preserve_json_and_do_not_change_status()
    {
        var (id, _) = await RunningInstanceAsync();
        const string json = "{\"step\":\"fetch\",\"items\":[1,2,3],\"nested\":{\"ok\":true}}";
        Assert.True((await Instance.EventAsync(id, InstanceEventType.EventCustom, Bytes(json), "step_debug")).Success);
        await Instance.EventAsync(id, InstanceEventType.EventCustom, Bytes("{\"level\":\"info\"}"), "workflow_log");
        await Instance.EventAsync(id, InstanceEventType.EventCustom, Bytes("{\"level\":\"warn\"}"), "workflow_log");
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);

        var debug = await Management.ListEventsAsync(new Mgmt.ListEventsRequest { InstanceId = id, Subtype = "step_debug" });
        Assert.Equal(1u, debug.TotalCount);
        Assert.Equal(json, debug.Events[0].Payload.ToStringUtf8());
        Assert.Equal("custom", debug.Events[0].EventType);
        Assert.Equal(2u, (await Management.ListEventsAsync(new Mgmt.ListEventsRequest { InstanceId = id, Subtype = "workflow_log" })).TotalCount);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Completed_sets_output_and_finished_at_a_repeat_is_idempotent_and_a_late_failure_changes_nothing()
    {
        var (id, _) = await RunningInstanceAsync();
        Assert.True((await Instance.EventAsync(id, InstanceEventType.EventCompleted, Bytes("{\"result\":42}"))).Success);
        var status = await Instance.StatusAsync(id);
        Assert.Equal(InstanceStatus.StatusCompleted, status.Status);
        Assert.Equal("{\"result\":42}", status.Output.ToStringUtf8());
        Assert.True(status.HasFinishedAtMs);

        Assert.True((await Instance.EventAsync(id, InstanceEventType.EventCompleted, Bytes("{\"result\":42}"))).Success);
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.EventAsync(id, InstanceEventType.EventFailed, Bytes("late")));
        var after = await Instance.StatusAsync(id);
        Assert.Equal(InstanceStatus.StatusCompleted, after.Status);
        Assert.Equal(status.FinishedAtMs, after.FinishedAtMs);
        Assert.False(after.HasError);
        var completedEvents = await Management.ListEventsAsync(new Mgmt.ListEventsRequest { InstanceId = id, EventType = "completed" });
        Assert.Equal(1u, completedEvents.TotalCount);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Failed_stores_the_error_text_and_a_binary_payload_gets_a_fixed_text()
    {
        var (text, _) = await RunningInstanceAsync();
        await Instance.EventAsync(text, InstanceEventType.EventFailed, Bytes("disk full"));
        var status = await Instance.StatusAsync(text);
        Assert.Equal(InstanceStatus.StatusFailed, status.Status);
        Assert.Equal("disk full", status.Error);
        Assert.False(status.HasOutput);

        var (binary, _) = await RunningInstanceAsync();
        await Instance.EventAsync(binary, InstanceEventType.EventFailed, [0xff, 0xfe, 0x00]);
        Assert.Equal("Unknown error (binary payload)", (await Instance.StatusAsync(binary)).Error);

        var (empty, _) = await RunningInstanceAsync();
        await Instance.EventAsync(empty, InstanceEventType.EventFailed);
        Assert.Equal("Unknown error", (await Instance.StatusAsync(empty)).Error);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Suspended_event_suspends_a_running_instance()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.EventAsync(id, InstanceEventType.EventSuspended);
        Assert.Equal(InstanceStatus.StatusSuspended, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Events_for_an_unknown_instance_or_without_an_id_are_refused()
    {
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Instance.EventAsync(Ids.Instance(), InstanceEventType.EventHeartbeat));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Instance.EventAsync(string.Empty, InstanceEventType.EventHeartbeat));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Status_events_on_a_pending_instance_are_refused()
    {
        var id = Ids.Instance();
        await Management.CreateAsync(id, Ids.Tenant());
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Instance.EventAsync(id, InstanceEventType.EventCompleted));
        Assert.Equal(InstanceStatus.StatusPending, (await Instance.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task An_event_batch_is_stored_in_order_and_a_bad_event_does_not_stop_the_rest()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.EventBatchAsync(
            InstanceApi.NewEvent(id, InstanceEventType.EventCustom, Bytes("1"), "batch"),
            InstanceApi.NewEvent(Ids.Instance(), InstanceEventType.EventCustom, Bytes("unknown instance"), "batch"),
            InstanceApi.NewEvent(id, InstanceEventType.EventCustom, Bytes("2"), "batch"),
            InstanceApi.NewEvent(id, InstanceEventType.EventCompleted, Bytes("done")));
        var status = await Wait.UntilAsync(() => Instance.StatusAsync(id), s => s.Status == InstanceStatus.StatusCompleted, TimeSpan.FromSeconds(10), "the batch's COMPLETED");
        Assert.Equal("done", status.Output.ToStringUtf8());
        var events = await Management.ListEventsAsync(new Mgmt.ListEventsRequest { InstanceId = id, Subtype = "batch" });
        Assert.Equal(["2", "1"], events.Events.Select(e => e.Payload.ToStringUtf8()));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Heartbeats_and_polls_advance_the_last_activity_on_the_server_clock()
    {
        var (id, _) = await RunningInstanceAsync();
        var before = (await Management.StatusAsync(id)).LastActivityMs;
        await Wait.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), now => now > before + 5, TimeSpan.FromSeconds(5), "the clock to move");
        var heartbeat = InstanceApi.NewEvent(id, InstanceEventType.EventHeartbeat);
        heartbeat.TimestampMs = 1; // A skewed client clock does not matter.
        await Instance.Client.CallAsync(new RpcRequest { InstanceEvent = heartbeat });
        var afterHeartbeat = (await Management.StatusAsync(id)).LastActivityMs;
        Assert.True(afterHeartbeat > before);

        await Wait.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), now => now > afterHeartbeat + 5, TimeSpan.FromSeconds(5), "the clock to move");
        await Instance.PollAsync(id);
        await Wait.UntilAsync(() => Management.StatusAsync(id), s => s.LastActivityMs > afterHeartbeat, TimeSpan.FromSeconds(10), "a poll to count as activity");
        Assert.Equal(InstanceStatus.StatusRunning, (await Instance.StatusAsync(id)).Status);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SqliteInstanceProtocolTests(SqliteCoreFixture fixture) : InstanceProtocolTests(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresInstanceProtocolTests(PostgresFixture fixture) : InstanceProtocolTests(fixture);

using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Management;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Core.Tests.Rpc;

/// <summary>
/// The management protocol (SPEC §5 and the additions in docs/protocol.md), every RPC and its error
/// cases, against a real core over TLS/TCP. Runs once per storage backend.
/// </summary>
public abstract class ManagementProtocolTests(ICoreFixture fixture) : CoreTestBase(fixture)
{
    [SkippableFact(Timeout = Timeout)]
    public async Task Health_reports_a_reachable_database_the_version_uptime_and_active_instances()
    {
        await RunningInstanceAsync();
        var health = await Management.HealthAsync();
        Assert.True(health.Healthy);
        Assert.False(string.IsNullOrEmpty(health.Version));
        Assert.True(health.UptimeMs >= 0);
        Assert.True(health.ActiveInstances >= 1);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Create_instance_makes_a_pending_instance_and_is_idempotent_for_the_same_tenant()
    {
        var id = Ids.Instance();
        var tenant = Ids.Tenant();
        var created = await Management.CreateAsync(id, tenant);
        Assert.True(created.Created);
        Assert.Equal(InstanceStatus.StatusPending, created.Status);
        var again = await Management.CreateAsync(id, tenant);
        Assert.False(again.Created);
        Assert.Equal(created.CreatedAtMs, again.CreatedAtMs);
        var status = await Management.StatusAsync(id);
        Assert.Equal(tenant, status.TenantId);
        Assert.Equal(InstanceStatus.StatusPending, status.Status);
        Assert.Equal(0, status.StartedAtMs);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Create_instance_refuses_an_id_owned_by_another_tenant_and_empty_fields()
    {
        var id = Ids.Instance();
        await Management.CreateAsync(id, Ids.Tenant());
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceAlreadyExists, () => Management.CreateAsync(id, Ids.Tenant()));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.CreateAsync(string.Empty, Ids.Tenant()));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.CreateAsync(Ids.Instance(), string.Empty));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Copy_checkpoints_copies_in_save_order_up_to_the_named_one_into_a_new_instance_that_then_replays()
    {
        var (source, tenant) = await RunningInstanceAsync("fork-src");
        foreach (var checkpoint in new[] { "step:b", "step:a", "sleep:c", "step:d" })
        {
            await Instance.CheckpointAsync(source, checkpoint, Bytes($"state of {checkpoint}"));
        }

        var fork = Ids.Instance("fork");
        await Management.CreateAsync(fork, tenant);
        var copied = await Management.CopyCheckpointsAsync(source, fork, tenant, "sleep:c");

        Assert.Equal((3u, "sleep:c"), (copied.Copied, copied.LastCheckpointId));
        var listed = await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = fork });
        // Save order, not key order: step:a was saved after step:b, both before sleep:c; step:d after it.
        Assert.Equal(["sleep:c", "step:a", "step:b"], listed.Checkpoints.Select(c => c.CheckpointId).Order(StringComparer.Ordinal));
        Assert.Equal("state of step:a", (await Management.GetCheckpointAsync(fork, "step:a")).Data.ToStringUtf8());
        Assert.False((await Management.GetCheckpointAsync(fork, "step:d")).Found);
        // Its first process sees a last checkpoint, so it replays; the source is unchanged.
        Assert.Equal("sleep:c", (await Management.StatusAsync(fork)).CheckpointId);
        Assert.Equal(4, (await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = source })).Checkpoints.Count);
        var registered = await Instance.RegisterAsync(fork, tenant);
        Assert.True(registered.Success, registered.Error);

        var all = Ids.Instance("rerun");
        await Management.CreateAsync(all, tenant);
        Assert.Equal((4u, "step:d"), ((await Management.CopyCheckpointsAsync(source, all, tenant)).Copied, (await Management.StatusAsync(all)).CheckpointId));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Copy_checkpoints_refuses_another_tenant_an_unknown_checkpoint_and_a_target_that_is_not_new()
    {
        var (source, tenant) = await RunningInstanceAsync("fork-src");
        await Instance.CheckpointAsync(source, "step:a", Bytes("a"));
        var target = Ids.Instance("fork");
        await Management.CreateAsync(target, tenant);
        var foreign = Ids.Instance("foreign");
        await Management.CreateAsync(foreign, Ids.Tenant());

        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Management.CopyCheckpointsAsync(source, foreign, tenant));
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Management.CopyCheckpointsAsync(source, target, Ids.Tenant()));
        await AssertRpcErrorAsync(CoreErrorCodes.CheckpointNotFound, () => Management.CopyCheckpointsAsync(source, target, tenant, "step:nope"));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.CopyCheckpointsAsync(source, source, tenant));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.CopyCheckpointsAsync(target, source, tenant));
        Assert.Empty((await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = target })).Checkpoints);
        Assert.Equal(1u, (await Management.CopyCheckpointsAsync(source, target, tenant)).Copied);
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.CopyCheckpointsAsync(source, target, tenant));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Get_instance_status_returns_the_stored_fields_and_unknown_for_a_missing_id()
    {
        var (id, tenant) = await RunningInstanceAsync();
        await Instance.CheckpointAsync(id, "cp", Bytes("s"));
        var status = await Management.StatusAsync(id);
        Assert.Equal(id, status.InstanceId);
        Assert.Equal(tenant, status.TenantId);
        Assert.Equal(InstanceStatus.StatusRunning, status.Status);
        Assert.Equal("cp", status.CheckpointId);
        Assert.True(status.CreatedAtMs > 0 && status.StartedAtMs >= status.CreatedAtMs);
        Assert.True(status.LastActivityMs >= status.StartedAtMs);

        var missing = await Management.StatusAsync(Ids.Instance());
        Assert.Equal(InstanceStatus.StatusUnknown, missing.Status);
        Assert.Equal("Instance not found", missing.Error);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task List_instances_filters_by_tenant_and_status_newest_first_with_paging_and_total()
    {
        var tenant = Ids.Tenant();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = Ids.Instance($"list{i}");
            ids.Add(id);
            await Management.CreateAsync(id, tenant);
        }

        await Instance.RegisterAsync(ids[0], tenant);
        await Instance.RegisterAsync(ids[1], tenant);

        var all = await Management.ListInstancesAsync(new ListInstancesRequest { TenantId = tenant });
        Assert.Equal(5u, all.TotalCount);
        Assert.All(all.Instances, i => Assert.Equal(tenant, i.TenantId));
        Assert.True(all.Instances.Zip(all.Instances.Skip(1)).All(p => p.First.CreatedAtMs >= p.Second.CreatedAtMs));

        var running = await Management.ListInstancesAsync(new ListInstancesRequest { TenantId = tenant, Status = InstanceStatus.StatusRunning });
        Assert.Equal(2u, running.TotalCount);
        Assert.Equal(ids[..2].Order(), running.Instances.Select(i => i.InstanceId).Order());
        Assert.All(running.Instances, i => Assert.True(i.HasStartedAtMs));

        var page = await Management.ListInstancesAsync(new ListInstancesRequest { TenantId = tenant, Limit = 2, Offset = 2 });
        Assert.Equal(5u, page.TotalCount);
        Assert.Equal(all.Instances.Skip(2).Take(2).Select(i => i.InstanceId), page.Instances.Select(i => i.InstanceId));
        Assert.Empty((await Management.ListInstancesAsync(new ListInstancesRequest { TenantId = Ids.Tenant() })).Instances);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task List_instances_by_last_activity_finds_silent_running_instances()
    {
        var tenant = Ids.Tenant();
        var silent = Ids.Instance("silent");
        var busy = Ids.Instance("busy");
        await Instance.RegisterAsync(silent, tenant);
        await Instance.RegisterAsync(busy, tenant);
        var cutoff = (await Management.StatusAsync(busy)).LastActivityMs + 1;
        await Wait.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), now => now > cutoff + 2, TimeSpan.FromSeconds(5), "the clock to pass the cutoff");
        await Instance.EventAsync(busy, Inst.InstanceEventType.EventHeartbeat);

        var stale = await Management.ListInstancesAsync(new ListInstancesRequest { TenantId = tenant, Status = InstanceStatus.StatusRunning, LastActivityBeforeMs = cutoff });
        Assert.Equal([silent], stale.Instances.Select(i => i.InstanceId));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task List_checkpoints_filters_pages_and_reports_sizes()
    {
        var (id, _) = await RunningInstanceAsync();
        for (var i = 0; i < 4; i++)
        {
            await Instance.CheckpointAsync(id, $"cp{i}", new byte[10 * (i + 1)]);
        }

        var all = await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = id });
        Assert.Equal(4u, all.TotalCount);
        Assert.Equal(100u, all.Limit);
        Assert.Equal(0u, all.Offset);
        Assert.Equal(["cp3", "cp2", "cp1", "cp0"], all.Checkpoints.Select(c => c.CheckpointId));
        Assert.Equal([40ul, 30ul, 20ul, 10ul], all.Checkpoints.Select(c => c.DataSizeBytes));

        var exact = await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = id, CheckpointId = "cp1" });
        Assert.Equal("cp1", Assert.Single(exact.Checkpoints).CheckpointId);

        var page = await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = id, Limit = 2, Offset = 1 });
        Assert.Equal(["cp2", "cp1"], page.Checkpoints.Select(c => c.CheckpointId));
        Assert.Equal(4u, page.TotalCount);

        var newest = all.Checkpoints[0].CreatedAtMs;
        var after = await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = id, CreatedAfterMs = newest });
        Assert.All(after.Checkpoints, c => Assert.True(c.CreatedAtMs >= newest));
        var before = await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = id, CreatedBeforeMs = newest });
        Assert.All(before.Checkpoints, c => Assert.True(c.CreatedAtMs < newest));
        Assert.Equal(4u, after.TotalCount + before.TotalCount);

        Assert.Empty((await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = Ids.Instance() })).Checkpoints);
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.ListCheckpointsAsync(new ListCheckpointsRequest()));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Get_checkpoint_returns_data_and_creation_time_or_not_found_with_echoed_ids()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.CheckpointAsync(id, "cp", Bytes("payload"));
        var found = await Management.GetCheckpointAsync(id, "cp");
        Assert.True(found.Found);
        Assert.Equal("payload", found.Data.ToStringUtf8());
        Assert.True(found.CreatedAtMs > 0);

        var missing = await Management.GetCheckpointAsync(id, "nope");
        Assert.False(missing.Found);
        Assert.Equal(id, missing.InstanceId);
        Assert.Equal("nope", missing.CheckpointId);
        Assert.Equal(0, missing.CreatedAtMs);
        Assert.True(missing.Data.IsEmpty);
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.GetCheckpointAsync(id, string.Empty));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Send_signal_with_an_undefined_type_is_refused() =>
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, async () => await Management.SendSignalAsync((await RunningInstanceAsync()).InstanceId, (SignalType)7));

    [SkippableFact(Timeout = Timeout)]
    public async Task Send_custom_signal_needs_an_existing_live_instance_and_a_checkpoint_id()
    {
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Management.SendCustomSignalAsync(Ids.Instance(), "cp", Bytes("x")));
        var (id, _) = await RunningInstanceAsync();
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.SendCustomSignalAsync(id, string.Empty, Bytes("x")));
        Assert.True((await Management.SendCustomSignalAsync(id, "cp", Bytes("x"))).Success);
        await Instance.EventAsync(id, Inst.InstanceEventType.EventCompleted);
        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => Management.SendCustomSignalAsync(id, "cp", Bytes("y")));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Finish_instance_fails_a_running_instance_once_and_then_reports_not_applied()
    {
        var (id, _) = await RunningInstanceAsync();
        var first = await Management.FinishAsync(id, InstanceStatus.StatusFailed, "process exited with code 137");
        Assert.True(first.Applied);
        Assert.Equal(InstanceStatus.StatusFailed, first.Status);
        var status = await Management.StatusAsync(id);
        Assert.Equal("process exited with code 137", status.Error);
        Assert.True(status.HasFinishedAtMs);

        var second = await Management.FinishAsync(id, InstanceStatus.StatusCancelled, "stop");
        Assert.False(second.Applied);
        Assert.Equal(InstanceStatus.StatusFailed, second.Status);
        Assert.Equal("process exited with code 137", (await Management.StatusAsync(id)).Error);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Finish_instance_never_overwrites_a_completion_reported_by_the_instance()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.EventAsync(id, Inst.InstanceEventType.EventCompleted, Bytes("out"));
        var result = await Management.FinishAsync(id, InstanceStatus.StatusFailed, "monitor thought it crashed");
        Assert.False(result.Applied);
        Assert.Equal(InstanceStatus.StatusCompleted, result.Status);
        Assert.Equal("out", (await Management.StatusAsync(id)).Output.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Finish_instance_with_an_expected_status_is_a_compare_and_set()
    {
        var (id, _) = await RunningInstanceAsync();
        var mismatch = await Management.FinishAsync(id, InstanceStatus.StatusCancelled, "stop", expected: InstanceStatus.StatusSuspended);
        Assert.False(mismatch.Applied);
        Assert.Equal(InstanceStatus.StatusRunning, mismatch.Status);
        var match = await Management.FinishAsync(id, InstanceStatus.StatusCancelled, "stop", expected: InstanceStatus.StatusRunning);
        Assert.True(match.Applied);
        Assert.Equal(InstanceStatus.StatusCancelled, (await Management.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Finish_instance_completes_only_a_running_instance_with_its_output()
    {
        var pending = Ids.Instance();
        await Management.CreateAsync(pending, Ids.Tenant());
        Assert.False((await Management.FinishAsync(pending, InstanceStatus.StatusCompleted, output: Bytes("x"))).Applied);
        Assert.True((await Management.FinishAsync(pending, InstanceStatus.StatusFailed, "launch failed")).Applied);

        var (running, _) = await RunningInstanceAsync();
        Assert.True((await Management.FinishAsync(running, InstanceStatus.StatusCompleted, output: Bytes("{\"from\":\"output.json\"}"))).Applied);
        Assert.Equal("{\"from\":\"output.json\"}", (await Management.StatusAsync(running)).Output.ToStringUtf8());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Finish_instance_refuses_a_non_terminal_target_and_an_unknown_instance()
    {
        var (id, _) = await RunningInstanceAsync();
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.FinishAsync(id, InstanceStatus.StatusRunning));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.FinishAsync(id, InstanceStatus.StatusUnknown));
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Management.FinishAsync(Ids.Instance(), InstanceStatus.StatusFailed));
        Assert.Equal(InstanceStatus.StatusRunning, (await Management.StatusAsync(id)).Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task List_due_wakeups_with_a_lease_hands_each_wakeup_to_one_caller_until_the_lease_ends()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.SleepAsync(id, (ulong)TestCoreSettings.SleepThreshold.TotalMilliseconds, "lease-nap");
        var first = await Wait.UntilAsync(
            () => Management.ListDueWakeupsAsync(1000, leaseMs: 60_000),
            r => r.Wakeups.Any(w => w.InstanceId == id),
            TimeSpan.FromSeconds(10),
            "the wake-up to be due");
        Assert.Single(first.Wakeups, w => w.InstanceId == id);
        Assert.DoesNotContain((await Management.ListDueWakeupsAsync(1000, leaseMs: 60_000)).Wakeups, w => w.InstanceId == id);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_cancelled_sleeping_instance_is_no_longer_due()
    {
        var (id, _) = await RunningInstanceAsync();
        var sleep = await Instance.SleepAsync(id, (ulong)TestCoreSettings.SleepThreshold.TotalMilliseconds, "nap");
        Assert.True((await Management.FinishAsync(id, InstanceStatus.StatusCancelled, "stopped while asleep")).Applied);
        await Wait.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), now => now > sleep.WakeAtMs + 10, TimeSpan.FromSeconds(10), "the wake-up time to pass");
        Assert.DoesNotContain((await Management.ListDueWakeupsAsync(1000)).Wakeups, w => w.InstanceId == id);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task List_events_filters_by_type_subtype_payload_text_and_time_and_pages()
    {
        var (id, _) = await RunningInstanceAsync();
        await Instance.EventAsync(id, Inst.InstanceEventType.EventCustom, Bytes("{\"msg\":\"Hello World\"}"), "log");
        await Instance.EventAsync(id, Inst.InstanceEventType.EventCustom, Bytes("{\"msg\":\"other\"}"), "log");
        await Instance.EventAsync(id, Inst.InstanceEventType.EventHeartbeat);

        var all = await Management.ListEventsAsync(new ListEventsRequest { InstanceId = id });
        Assert.Equal(4u, all.TotalCount); // started + 3
        Assert.Equal("heartbeat", all.Events[0].EventType);
        Assert.Equal("started", all.Events[^1].EventType);
        Assert.True(all.Events.Zip(all.Events.Skip(1)).All(p => p.First.Id > p.Second.Id));

        Assert.Equal(1u, (await Management.ListEventsAsync(new ListEventsRequest { InstanceId = id, EventType = "heartbeat" })).TotalCount);
        var hello = await Management.ListEventsAsync(new ListEventsRequest { InstanceId = id, PayloadContains = "hello world" });
        Assert.Equal("log", Assert.Single(hello.Events).Subtype);

        var page = await Management.ListEventsAsync(new ListEventsRequest { InstanceId = id, Limit = 1, Offset = 1 });
        Assert.Equal(all.Events[1].Id, Assert.Single(page.Events).Id);
        Assert.Equal(4u, page.TotalCount);

        var newest = all.Events[0].CreatedAtMs;
        var recent = await Management.ListEventsAsync(new ListEventsRequest { InstanceId = id, CreatedAfterMs = newest });
        var older = await Management.ListEventsAsync(new ListEventsRequest { InstanceId = id, CreatedBeforeMs = newest });
        Assert.Equal(4u, recent.TotalCount + older.TotalCount);

        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.ListEventsAsync(new ListEventsRequest { InstanceId = id, EventType = "exploded" }));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.ListEventsAsync(new ListEventsRequest()));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task List_retry_attempts_filters_by_key_pages_and_refuses_unknown_instances()
    {
        var (id, _) = await RunningInstanceAsync();
        Assert.Equal(0u, (await Management.ListRetryAttemptsAsync(new ListRetryAttemptsRequest { InstanceId = id })).TotalCount);
        await Instance.RetryAttemptAsync(id, "fetch", 1, "timeout");
        await Instance.RetryAttemptAsync(id, "fetch", 2, "refused");
        await Instance.RetryAttemptAsync(id, "charge", 1);

        var all = await Wait.UntilAsync(
            () => Management.ListRetryAttemptsAsync(new ListRetryAttemptsRequest { InstanceId = id }), a => a.TotalCount == 3, TimeSpan.FromSeconds(10), "three retry attempts");
        Assert.Equal((100u, 0u), (all.Limit, all.Offset));
        Assert.Equal([("charge", 1u), ("fetch", 1u), ("fetch", 2u)], all.Attempts.Select(a => (a.CheckpointId, a.AttemptNumber)));
        Assert.False(all.Attempts[0].HasErrorMessage);
        Assert.Equal(["timeout", "refused"], all.Attempts.Skip(1).Select(a => a.ErrorMessage));
        Assert.All(all.Attempts, a => Assert.Equal(id, a.InstanceId));
        Assert.All(all.Attempts, a => Assert.True(a.CreatedAtMs > 0));

        var fetch = await Management.ListRetryAttemptsAsync(new ListRetryAttemptsRequest { InstanceId = id, CheckpointId = "fetch" });
        Assert.Equal(2u, fetch.TotalCount);
        Assert.Equal([1u, 2u], fetch.Attempts.Select(a => a.AttemptNumber));
        var page = await Management.ListRetryAttemptsAsync(new ListRetryAttemptsRequest { InstanceId = id, Limit = 1, Offset = 2 });
        Assert.Equal(("fetch", 2u, 3u), (Assert.Single(page.Attempts).CheckpointId, page.Attempts[0].AttemptNumber, page.TotalCount));

        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => Management.ListRetryAttemptsAsync(new ListRetryAttemptsRequest { InstanceId = Ids.Instance() }));
        await AssertRpcErrorAsync(CoreErrorCodes.ValidationError, () => Management.ListRetryAttemptsAsync(new ListRetryAttemptsRequest()));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task An_empty_management_request_is_answered_with_EMPTY_REQUEST() =>
        await AssertRpcErrorAsync(RpcErrorCodes.EmptyRequest, () => Management.Client.CallAsync(new RpcRequest()));
}

[Collection(SqliteCollection.Name)]
public sealed class SqliteManagementProtocolTests(SqliteCoreFixture fixture) : ManagementProtocolTests(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresManagementProtocolTests(PostgresFixture fixture) : ManagementProtocolTests(fixture);

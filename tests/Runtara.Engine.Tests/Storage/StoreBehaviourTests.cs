using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Storage;
using Runtara.Engine.Storage.Postgres;
using Runtara.Engine.Storage.Sqlite;
using Runtara.Engine.Tests.Infrastructure;
using Runtara.Diagnostics;

namespace Runtara.Engine.Tests.Storage;

/// <summary>
/// One behaviour suite for the persistence interface, run against SQLite and PostgreSQL: atomic
/// save-if-absent, group commit, isolation of failures inside a batch, durability across reopen,
/// signals, sleeps, wake-ups, queries.
/// </summary>
public abstract class StoreBehaviourTests : CoreStoreSuite
{
    private const int Timeout = 60_000;

    [SkippableFact(Timeout = Timeout)]
    public async Task Save_if_absent_stores_one_state_and_every_racing_writer_gets_it_back()
    {
        var id = await NewRunningInstanceAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Store.WriteAsync("race", (w, t) => w.SaveCheckpointIfAbsentAsync(id, "key", Encoding.UTF8.GetBytes($"state-{i}"), Now, t), CancellationToken.None)));
        Assert.Single(results, r => r.Inserted);
        var stored = await Store.GetCheckpointAsync(id, "key", CancellationToken.None);
        Assert.NotNull(stored);
        Assert.All(results, r => Assert.Equal(stored.State, r.Stored.State));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Concurrent_writes_are_group_committed_several_per_transaction()
    {
        var id = await NewRunningInstanceAsync();
        var batches = new ConcurrentBag<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RuntaraTelemetry.Core && instrument.Name == "runtara.core.storage.batch.size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => batches.Add(value));
        listener.Start();

        await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            Store.WriteAsync("burst", (w, t) => w.SaveCheckpointIfAbsentAsync(id, $"k{i}", [1, 2, 3], Now, t), CancellationToken.None)));
        listener.Dispose();

        Assert.Equal(300, (await Store.ListCheckpointsAsync(new CheckpointQuery(id, null, null, null, 1000, 0), CancellationToken.None)).TotalCount);
        Assert.True(batches.Max() > 1, $"expected batches of more than one write; saw {string.Join(",", batches.Take(20))}");
        Assert.True(batches.Count(b => b > 0) < 300, "300 concurrent writes should need fewer than 300 commits");
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_caller_that_stops_waiting_leaves_its_queued_write_to_commit_and_others_unaffected()
    {
        var id = await NewRunningInstanceAsync();
        using var gate = new ManualResetEventSlim(false);
        using var caller = new CancellationTokenSource();
        using var other = new CancellationTokenSource();

        // The first write holds the writer, so the next two wait in the queue.
        var holding = Store.WriteAsync("hold", (w, t) =>
        {
            gate.Wait(TimeSpan.FromSeconds(30));
            return w.SaveCheckpointIfAbsentAsync(id, "held", [1], Now, t);
        }, CancellationToken.None);
        var abandoned = Store.WriteAsync("abandon", (w, t) => w.SaveCheckpointIfAbsentAsync(id, "abandoned", [2], Now, t), caller.Token);
        var waited = Store.WriteAsync("wait", (w, t) => w.SaveCheckpointIfAbsentAsync(id, "waited", [3], Now, t), other.Token);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.WriteAsync("never", (w, t) => w.SaveCheckpointIfAbsentAsync(id, "never", [4], Now, t), caller.Token));
        gate.Set();
        Assert.True((await holding).Inserted);
        Assert.True((await waited).Inserted);
        await other.CancelAsync(); // after its write completed: nothing left to cancel
        Assert.True((await Store.WriteAsync("after", (w, t) => w.SaveCheckpointIfAbsentAsync(id, "after", [5], Now, t), CancellationToken.None)).Inserted);

        Assert.NotNull(await Store.GetCheckpointAsync(id, "abandoned", CancellationToken.None));
        Assert.Null(await Store.GetCheckpointAsync(id, "never", CancellationToken.None));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_write_given_its_state_answers_once_with_its_commit_or_its_callers_cancellation()
    {
        var id = await NewRunningInstanceAsync();
        using var gate = new ManualResetEventSlim(false);
        using var caller = new CancellationTokenSource();

        var holding = Store.WriteAsync("hold", (id, gate), static (w, s, t) =>
        {
            s.gate.Wait(TimeSpan.FromSeconds(30));
            return w.SaveCheckpointIfAbsentAsync(s.id, "held", [1], Now, t);
        }, CancellationToken.None);
        var abandoned = Store.WriteAsync("abandon", id, static (w, id, t) => w.SaveCheckpointIfAbsentAsync(id, "abandoned", [2], Now, t), caller.Token);
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await abandoned);
        gate.Set();

        Assert.True((await holding).Inserted);
        var again = await Store.WriteAsync("again", id, static (w, id, t) => w.SaveCheckpointIfAbsentAsync(id, "held", [9], Now, t), CancellationToken.None);
        Assert.False(again.Inserted);
        Assert.Equal([1], again.Stored.State);

        // The cancelled caller stopped waiting; its write still committed.
        Assert.NotNull(await Store.GetCheckpointAsync(id, "abandoned", CancellationToken.None));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Reused_pending_writes_answer_each_caller_with_its_own_result_through_cancellations()
    {
        // The pending writes are pooled: rounds of concurrent writes, some of whose callers stop
        // waiting, must each get the answer made from their own write.
        var id = await NewRunningInstanceAsync();
        for (var round = 0; round < 5; round++)
        {
            using var impatient = new CancellationTokenSource();
            var writes = Enumerable.Range(0, 100).Select(i =>
            {
                var key = $"r{round}-{i}";
                var token = i % 7 == 0 ? impatient.Token : CancellationToken.None;
                return (Key: key, Cancellable: i % 7 == 0, Answer: Store.WriteAsync(
                    "reuse", (id, key), static (w, s, t) => w.SaveCheckpointIfAbsentAsync(s.id, s.key, Encoding.UTF8.GetBytes(s.key), Now, t),
                    static (saved, s) => (s.key, Stored: Encoding.UTF8.GetString(saved.Stored.State)), token).AsTask());
            }).ToList();
            await impatient.CancelAsync();

            foreach (var (key, cancellable, answer) in writes)
            {
                try
                {
                    var (answeredKey, stored) = await answer;
                    Assert.Equal((key, key), (answeredKey, stored));
                }
                catch (OperationCanceledException) when (cancellable)
                {
                }
            }
        }

        Assert.Equal(500, (await Store.ListCheckpointsAsync(new CheckpointQuery(id, null, null, null, 1000, 0), CancellationToken.None)).TotalCount);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_rejected_operation_fails_alone_and_its_batch_neighbours_commit()
    {
        var id = await NewRunningInstanceAsync();
        var writes = Enumerable.Range(0, 20).Select(i =>
            Store.WriteAsync("ok", (w, t) => w.SaveCheckpointIfAbsentAsync(id, $"ok{i}", [1], Now, t), CancellationToken.None)).ToList();
        var rejected = Store.WriteAsync<bool>("rejected", async (w, t) =>
        {
            _ = await w.GetInstanceAsync("nobody", t);
            throw new InstanceNotFoundException("nobody");
        }, CancellationToken.None);

        await Task.WhenAll(writes);
        var error = await Assert.ThrowsAsync<InstanceNotFoundException>(() => rejected);
        Assert.Equal(CoreErrorCodes.InstanceNotFound, error.Code);
        Assert.Equal(20, (await Store.ListCheckpointsAsync(new CheckpointQuery(id, null, null, null, 100, 0), CancellationToken.None)).TotalCount);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_database_error_fails_only_its_operation_and_the_rest_of_the_batch_is_retried_and_committed()
    {
        var id = await NewRunningInstanceAsync();
        var writes = Enumerable.Range(0, 20).Select(i =>
            Store.WriteAsync("ok", (w, t) => w.SaveCheckpointIfAbsentAsync(id, $"ok{i}", [1], Now, t), CancellationToken.None)).ToList();
        var duplicate = Store.WriteAsync("duplicate", async (w, t) =>
        {
            await w.InsertInstanceAsync(new InstanceRecord { InstanceId = id, TenantId = "t", Status = InstanceStatus.Pending, CreatedAtMs = Now }, t);
            return true;
        }, CancellationToken.None);

        await Task.WhenAll(writes);
        var error = await Assert.ThrowsAsync<StorageException>(() => duplicate);
        Assert.Equal(CoreErrorCodes.DatabaseError, error.Code);
        Assert.Equal(20, (await Store.ListCheckpointsAsync(new CheckpointQuery(id, null, null, null, 100, 0), CancellationToken.None)).TotalCount);
        Assert.Equal(InstanceStatus.Running, (await Store.GetInstanceAsync(id, CancellationToken.None))!.Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_rule_broken_after_a_write_rolls_that_write_back()
    {
        var id = await NewRunningInstanceAsync();
        var failing = Store.WriteAsync<bool>("half", async (w, t) =>
        {
            await w.SaveCheckpointIfAbsentAsync(id, "half-written", [9], Now, t);
            throw new CoreValidationException("x", "changed my mind");
        }, CancellationToken.None);
        var fine = Store.WriteAsync("fine", (w, t) => w.SaveCheckpointIfAbsentAsync(id, "fine", [1], Now, t), CancellationToken.None);

        await Assert.ThrowsAsync<CoreValidationException>(() => failing);
        Assert.True((await fine).Inserted);
        Assert.Null(await Store.GetCheckpointAsync(id, "half-written", CancellationToken.None));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Committed_writes_are_there_after_the_store_is_reopened_and_migrations_are_idempotent()
    {
        var id = await NewRunningInstanceAsync();
        var state = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        await Store.WriteAsync("save", (w, t) => w.SaveCheckpointIfAbsentAsync(id, "durable", state, Now, t), CancellationToken.None);

        await using var reopened = await OpenAsync();
        Assert.Equal(state, (await reopened.GetCheckpointAsync(id, "durable", CancellationToken.None))!.State);
        Assert.Equal(InstanceStatus.Running, (await reopened.GetInstanceAsync(id, CancellationToken.None))!.Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task The_pending_signal_is_replaced_by_a_newer_one_and_only_an_ack_of_its_type_clears_it()
    {
        var id = await NewRunningInstanceAsync();
        await Write(w => w.UpsertPendingSignalAsync(new PendingSignal(id, SignalKind.Cancel, [1], Now), default));
        await Write(w => w.UpsertPendingSignalAsync(new PendingSignal(id, SignalKind.Pause, [], Now), default));
        var pending = await Store.GetPendingSignalAsync(id, CancellationToken.None);
        Assert.Equal(SignalKind.Pause, pending!.Kind);
        Assert.Empty(pending.Payload);

        Assert.False(await Store.WriteAsync("ack", (w, t) => w.AcknowledgeSignalAsync(id, SignalKind.Cancel, Now, t), CancellationToken.None));
        Assert.True(await Store.WriteAsync("ack", (w, t) => w.AcknowledgeSignalAsync(id, SignalKind.Pause, Now, t), CancellationToken.None));
        Assert.False(await Store.WriteAsync("ack", (w, t) => w.AcknowledgeSignalAsync(id, SignalKind.Pause, Now, t), CancellationToken.None));
        Assert.Null(await Store.GetPendingSignalAsync(id, CancellationToken.None));

        await Write(w => w.UpsertPendingSignalAsync(new PendingSignal(id, SignalKind.Cancel, [7], Now), default));
        Assert.Equal(SignalKind.Cancel, (await Store.GetPendingSignalAsync(id, CancellationToken.None))!.Kind);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_custom_signal_is_taken_exactly_once_even_by_racing_takers()
    {
        var id = await NewRunningInstanceAsync();
        await Write(w => w.UpsertCustomSignalAsync(id, "cp", [1], Now, default));
        await Write(w => w.UpsertCustomSignalAsync(id, "cp", [2], Now, default));
        var taken = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            Store.WriteAsync("take", (w, t) => w.TakeCustomSignalAsync(id, "cp", t), CancellationToken.None)));
        Assert.Equal([2], Assert.Single(taken, p => p is not null));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_sleep_wake_time_is_stored_once_per_checkpoint()
    {
        var id = await NewRunningInstanceAsync();
        var first = await Store.WriteAsync("sleep", (w, t) => w.SaveSleepIfAbsentAsync(id, "nap", 1_000, Now, t), CancellationToken.None);
        var second = await Store.WriteAsync("sleep", (w, t) => w.SaveSleepIfAbsentAsync(id, "nap", 9_999, Now, t), CancellationToken.None);
        Assert.Equal(1_000, first);
        Assert.Equal(1_000, second);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Due_wakeups_are_suspended_instances_past_their_time_oldest_first_and_leases_hide_them()
    {
        var now = Now;
        var late = await NewRunningInstanceAsync();
        var later = await NewRunningInstanceAsync();
        var future = await NewRunningInstanceAsync();
        await Suspend(late, now - 2_000_000_000_000);
        await Suspend(later, now - 1_999_999_999_000);
        await Suspend(future, now + 3_600_000);

        var due = await Store.WriteAsync("claim", (w, t) => w.ClaimDueWakeupsAsync(now, 2, leaseUntilMs: now + 60_000, t), CancellationToken.None);
        Assert.Equal([late, later], due.Select(d => d.InstanceId));
        var again = await Store.WriteAsync("claim", (w, t) => w.ClaimDueWakeupsAsync(now, 1000, leaseUntilMs: null, t), CancellationToken.None);
        Assert.DoesNotContain(again, d => d.InstanceId == late || d.InstanceId == later || d.InstanceId == future);
        var afterLease = await Store.WriteAsync("claim", (w, t) => w.ClaimDueWakeupsAsync(now + 60_001, 1000, leaseUntilMs: null, t), CancellationToken.None);
        Assert.Contains(afterLease, d => d.InstanceId == late);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Instance_queries_filter_count_and_page()
    {
        var tenant = $"t-{Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++)
        {
            await Write(w => w.InsertInstanceAsync(new InstanceRecord { InstanceId = $"{tenant}-{i}", TenantId = tenant, Status = i == 0 ? InstanceStatus.Failed : InstanceStatus.Pending, CreatedAtMs = 1000 + i }, default));
        }

        var page = await Store.ListInstancesAsync(new InstanceQuery(tenant, InstanceStatus.Pending, null, 1, 0), CancellationToken.None);
        Assert.Equal(2, page.TotalCount);
        Assert.Equal($"{tenant}-2", Assert.Single(page.Items).InstanceId);
        var counts = await Store.CountInstancesByStatusAsync(CancellationToken.None);
        Assert.True(counts[InstanceStatus.Failed] >= 1 && counts[InstanceStatus.Pending] >= 2);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Event_payload_search_is_case_insensitive_and_tolerates_binary_payloads()
    {
        var id = await NewRunningInstanceAsync();
        await Write(w => w.InsertEventAsync(new NewEvent(id, EventKind.Custom, null, Encoding.UTF8.GetBytes("Order SHIPPED"), "log", Now, 1), default));
        await Write(w => w.InsertEventAsync(new NewEvent(id, EventKind.Custom, null, [0xff, 0x00, 0xfe], "log", Now, null), default));
        await Write(w => w.InsertEventAsync(new NewEvent(id, EventKind.Heartbeat, "cp", null, null, Now, null), default));

        var found = await Store.ListEventsAsync(new EventQuery(id, null, null, null, null, "shipped", 100, 0), CancellationToken.None);
        Assert.Equal("Order SHIPPED", Encoding.UTF8.GetString(Assert.Single(found.Items).Payload!));
        var heartbeats = await Store.ListEventsAsync(new EventQuery(id, EventKind.Heartbeat, null, null, null, null, 100, 0), CancellationToken.None);
        Assert.Equal("cp", Assert.Single(heartbeats.Items).CheckpointId);
        Assert.Null(heartbeats.Items[0].Payload);
        Assert.Equal(3, (await Store.ListEventsAsync(new EventQuery(id, null, null, null, null, null, 100, 0), CancellationToken.None)).TotalCount);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Retry_attempts_upsert_per_attempt_number()
    {
        var id = await NewRunningInstanceAsync();
        await Write(w => w.UpsertRetryAttemptAsync(new RetryAttemptRecord(id, "k", 1, "first", Now), default));
        await Write(w => w.UpsertRetryAttemptAsync(new RetryAttemptRecord(id, "k", 1, "first again", Now), default));
        await Write(w => w.UpsertRetryAttemptAsync(new RetryAttemptRecord(id, "k", 2, null, Now), default));
        var attempts = await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(id, null, 100, 0), CancellationToken.None);
        Assert.Equal([(1, "first again"), (2, null)], attempts.Items.Select(a => (a.AttemptNumber, a.ErrorMessage)));
        Assert.Equal(2, attempts.TotalCount);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Retry_attempts_list_by_key_then_attempt_with_a_key_filter_and_pages()
    {
        var id = await NewRunningInstanceAsync();
        await Write(w => w.UpsertRetryAttemptAsync(new RetryAttemptRecord(id, "b", 1, "b1", Now), default));
        await Write(w => w.UpsertRetryAttemptAsync(new RetryAttemptRecord(id, "a", 2, "a2", Now), default));
        await Write(w => w.UpsertRetryAttemptAsync(new RetryAttemptRecord(id, "a", 1, "a1", Now), default));
        var other = await NewRunningInstanceAsync();
        await Write(w => w.UpsertRetryAttemptAsync(new RetryAttemptRecord(other, "a", 1, "other", Now), default));

        var all = await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(id, null, 100, 0), CancellationToken.None);
        Assert.Equal(["a1", "a2", "b1"], all.Items.Select(a => a.ErrorMessage));
        Assert.All(all.Items, a => Assert.Equal(id, a.InstanceId));
        var page = await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(id, null, 1, 1), CancellationToken.None);
        Assert.Equal(("a2", 3L, 1, 1), (Assert.Single(page.Items).ErrorMessage, page.TotalCount, page.Limit, page.Offset));
        var onlyB = await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(id, "b", 100, 0), CancellationToken.None);
        Assert.Equal(("b", 1, 1L), (Assert.Single(onlyB.Items).CheckpointId, onlyB.Items[0].AttemptNumber, onlyB.TotalCount));
        Assert.Empty((await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(id, "none", 100, 0), CancellationToken.None)).Items);
    }

    protected static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    protected async Task<string> NewRunningInstanceAsync()
    {
        Skip.If(SkipReason is not null, SkipReason);
        var id = $"store-{Guid.NewGuid():N}";
        await Write(w => w.InsertInstanceAsync(new InstanceRecord { InstanceId = id, TenantId = "tenant", Status = InstanceStatus.Running, CreatedAtMs = Now, StartedAtMs = Now }, default));
        return id;
    }

    private async Task Suspend(string id, long wakeAt) =>
        await Store.WriteAsync("suspend", async (w, t) =>
        {
            var instance = await w.GetInstanceAsync(id, t);
            await w.UpdateInstanceAsync(instance! with { Status = InstanceStatus.Suspended, SleepUntilMs = wakeAt }, t);
            return true;
        }, CancellationToken.None);

    private Task<bool> Write(Func<IStoreWriter, ValueTask> write) =>
        Store.WriteAsync("test", async (w, _) =>
        {
            await write(w);
            return true;
        }, CancellationToken.None);
}

public sealed class SqliteStoreBehaviourTests : StoreBehaviourTests, IDisposable
{
    private readonly TempDirectory _directory = new("runtara-store");

    protected override string? SkipReason => null;

    protected override Task<ICoreStore> OpenAsync() => OpenSqliteAsync(Path.Combine(_directory.Path, "core.db"));

    [Fact(Timeout = 30_000)]
    public async Task The_sqlite_file_uses_WAL_with_synchronous_FULL()
    {
        await using var store = new SqliteCoreStore(Path.Combine(_directory.Path, "settings.db"), Settings, NullLogger<SqliteCoreStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        var (journal, synchronous) = await store.ReadDurabilitySettingsAsync(CancellationToken.None);
        Assert.Equal("wal", journal);
        // FULL (2): every COMMIT fsyncs the WAL before it returns, so acknowledged writes are durable.
        Assert.Equal(2, synchronous);
    }

    [Fact(Timeout = 30_000)]
    public async Task Opening_the_writer_keeps_freed_native_memory_in_the_heaps_on_glibc()
    {
        await using var store = new SqliteCoreStore(Path.Combine(_directory.Path, "heap.db"), Settings, NullLogger<SqliteCoreStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);

        // glibc (Linux here and in CI) takes the setting; elsewhere nothing changes, and the store opens alike.
        Assert.Equal(OperatingSystem.IsLinux(), NativeHeapTrimming.IsApplied);
        Assert.Equal(NativeHeapTrimming.IsApplied, NativeHeapTrimming.Apply()); // once per process; asking again changes nothing
    }

    [Fact(Timeout = 30_000)]
    public async Task Committed_frames_reach_the_database_file_in_the_background_well_before_the_writers_own_checkpoint()
    {
        var path = Path.Combine(_directory.Path, "background.db");
        await using var store = new SqliteCoreStore(path, Settings, NullLogger<SqliteCoreStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        var id = Ids.Instance();
        await store.WriteAsync("seed", async (w, t) =>
        {
            await w.InsertInstanceAsync(new InstanceRecord { InstanceId = id, TenantId = "t", Status = InstanceStatus.Running, CreatedAtMs = Now }, t);
            return true;
        }, CancellationToken.None);
        var before = new FileInfo(path).Length;

        // 64 one-KiB checkpoints, one commit each: far fewer WAL frames than the writer's 4,000-page
        // threshold, so only the background checkpointer copies them into the database file.
        for (var i = 0; i < 64; i++)
        {
            await store.WriteAsync("checkpoint", (w, t) => w.SaveCheckpointIfAbsentAsync(id, $"k{i}", new byte[1024], Now, t), CancellationToken.None);
        }

        var after = await Wait.UntilAsync(() => Task.FromResult(new FileInfo(path).Length), length => length >= before + (64 * 1024), TimeSpan.FromSeconds(10), "the database file to grow");
        Assert.True(after >= before + (64 * 1024));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_WAL_gets_its_working_size_up_front_and_commits_overwrite_it_in_place()
    {
        var path = Path.Combine(_directory.Path, "prealloc.db");
        await using var store = new SqliteCoreStore(path, Settings, NullLogger<SqliteCoreStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        var wal = new FileInfo(path + "-wal");
        var size = wal.Length;
        Assert.True(size >= 32 + (SqliteCoreStore.WriterAutoCheckpointPages * (4096L + 24)), $"WAL of {size} bytes");

        var id = Ids.Instance();
        await store.WriteAsync("seed", async (w, t) =>
        {
            await w.InsertInstanceAsync(new InstanceRecord { InstanceId = id, TenantId = "t", Status = InstanceStatus.Running, CreatedAtMs = Now }, t);
            return true;
        }, CancellationToken.None);
        for (var i = 0; i < 64; i++)
        {
            await store.WriteAsync("checkpoint", (w, t) => w.SaveCheckpointIfAbsentAsync(id, $"k{i}", new byte[1024], Now, t), CancellationToken.None);
        }

        wal.Refresh();
        Assert.Equal(size, wal.Length);
        Assert.NotNull(await store.GetCheckpointAsync(id, "k63", CancellationToken.None));
    }

    [Fact(Timeout = 30_000)]
    public async Task Zeros_added_past_a_crashed_WALs_frames_are_not_read_as_frames_and_later_commits_recover()
    {
        // A crash image: commits still only in the WAL (no checkpoint), copied while the writer is open.
        var live = Path.Combine(_directory.Path, "live.db");
        var crashed = Path.Combine(_directory.Path, "crashed.db");
        var raw = new SqliteConnectionStringBuilder { DataSource = live, Pooling = false }.ToString();
        await using (var writer = new SqliteConnection(raw))
        {
            await writer.OpenAsync();
            await ExecuteAsync(writer, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (n INTEGER NOT NULL)");
            for (var i = 0; i < 3; i++)
            {
                await ExecuteAsync(writer, $"INSERT INTO t VALUES ({i})");
            }

            File.Copy(live, crashed);
            File.Copy(live + "-wal", crashed + "-wal");
        }

        var before = new FileInfo(crashed + "-wal").Length;
        var target = new SqliteConnectionStringBuilder { DataSource = crashed, Pooling = false }.ToString();
        await using (var connection = new SqliteConnection(target))
        {
            await connection.OpenAsync();
            var added = (await WalPreallocation.EnsureAsync(connection, crashed, frames: 100, CancellationToken.None)).Added;
            Assert.Equal(32 + (100 * (4096 + 24)) - before, added);
            Assert.Equal(3L, await ScalarAsync(connection, "SELECT count(*) FROM t"));
            await ExecuteAsync(connection, "PRAGMA wal_autocheckpoint = 0; INSERT INTO t VALUES (3)");

            // A second crash image, now with the zeros: recovery reads the four commits and stops at them.
            File.Copy(crashed, crashed + ".2");
            File.Copy(crashed + "-wal", crashed + ".2-wal");
        }

        await using var reopened = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = crashed + ".2", Pooling = false }.ToString());
        await reopened.OpenAsync();
        Assert.Equal(6L, await ScalarAsync(reopened, "SELECT sum(n) FROM t"));
        Assert.Equal("ok", await ScalarAsync(reopened, "PRAGMA integrity_check"));
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public void Dispose() => _directory.Dispose();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreBehaviourTests(PostgresFixture fixture) : StoreBehaviourTests
{
    protected override string? SkipReason => fixture.SkipReason;

    protected override Task<ICoreStore> OpenAsync() => OpenPostgresAsync(fixture.ConnectionString);
}

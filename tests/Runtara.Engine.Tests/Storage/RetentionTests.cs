using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Data;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Children;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Storage;
using Runtara.Engine.Storage.Postgres;
using Runtara.Engine.Storage.Sqlite;
using Runtara.Engine.Tests.Infrastructure;

namespace Runtara.Engine.Tests.Storage;

/// <summary>
/// Retention (docs/operations.md) on SQLite and PostgreSQL with a fake clock: finished instances past
/// their tenant's period go with every row of theirs; live, suspended and recently finished ones, and
/// those with a live parent or child, are untouched; batches are bounded; concurrent purgers split the work.
/// </summary>
public abstract class RetentionTests : CoreStoreSuite
{
    private const int Timeout = 60_000;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);

    /// <summary>This test's tenant (tests share the PostgreSQL database).</summary>
    private readonly string _tenant = $"t-{Guid.NewGuid():N}";

    private long NowMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private RetentionService Service(ICoreStore? store = null) => new(store ?? Store, _clock, NullLogger<RetentionService>.Instance);

    /// <summary>Only this test's tenant has a period (30 days unless given): other tests' rows are never purged here.</summary>
    private RetentionOptions Options(TimeSpan? period = null, int batchSize = 500) =>
        new() { Period = TimeSpan.Zero, BatchSize = batchSize, TenantPeriods = { [_tenant] = period ?? TimeSpan.FromDays(30) } };

    [SkippableFact(Timeout = Timeout)]
    public async Task Old_finished_instances_are_deleted_with_every_row_of_theirs()
    {
        var old = new List<string>();
        foreach (var status in new[] { InstanceStatus.Completed, InstanceStatus.Failed, InstanceStatus.Cancelled })
        {
            var id = await InsertAsync(status, finishedDaysAgo: 31);
            await AddRowsAsync(id);
            old.Add(id);
        }

        var purged = await Service().PurgeAsync(Options(), CancellationToken.None);

        Assert.Equal(3, purged);
        foreach (var id in old)
        {
            Assert.Null(await Store.GetInstanceAsync(id, CancellationToken.None));
            Assert.Null(await Store.GetCheckpointAsync(id, "step-1", CancellationToken.None));
            Assert.Null(await Store.GetPendingSignalAsync(id, CancellationToken.None));
            Assert.Empty((await Store.ListEventsAsync(new EventQuery(id, null, null, null, null, null, 100, 0), CancellationToken.None)).Items);
            Assert.Empty((await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(id, null, 100, 0), CancellationToken.None)).Items);
            Assert.Null(await Store.WriteAsync("read", (w, t) => w.GetCustomSignalTimeAsync(id, "wait-1", t), CancellationToken.None));
        }
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Live_suspended_and_recently_finished_instances_are_untouched()
    {
        var kept = new List<string>
        {
            await InsertAsync(InstanceStatus.Pending, finishedDaysAgo: null, createdDaysAgo: 90),
            await InsertAsync(InstanceStatus.Running, finishedDaysAgo: null, createdDaysAgo: 90),
            await InsertAsync(InstanceStatus.Suspended, finishedDaysAgo: null, createdDaysAgo: 90),
            await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 29, createdDaysAgo: 90),
            await InsertAsync(InstanceStatus.Failed, finishedDaysAgo: 1),
        };
        foreach (var id in kept)
        {
            await AddRowsAsync(id);
        }

        Assert.Equal(0, await Service().PurgeAsync(Options(), CancellationToken.None));

        foreach (var id in kept)
        {
            Assert.NotNull(await Store.GetInstanceAsync(id, CancellationToken.None));
            Assert.NotNull(await Store.GetCheckpointAsync(id, "step-1", CancellationToken.None));
            Assert.NotNull(await Store.GetPendingSignalAsync(id, CancellationToken.None));
            Assert.Single((await Store.ListEventsAsync(new EventQuery(id, null, null, null, null, null, 100, 0), CancellationToken.None)).Items);
            Assert.Single((await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(id, null, 100, 0), CancellationToken.None)).Items);
        }

        // Two days on, the one that finished 29 days ago is due; the rest still are not.
        _clock.Advance(2 * Day);
        Assert.Equal(1, await Service().PurgeAsync(Options(), CancellationToken.None));
        Assert.Null(await Store.GetInstanceAsync(kept[3], CancellationToken.None));
        foreach (var id in kept.Where(id => id != kept[3]))
        {
            Assert.NotNull(await Store.GetInstanceAsync(id, CancellationToken.None));
        }
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Each_tenant_gets_its_own_period_and_zero_keeps_forever()
    {
        var other = $"t-{Guid.NewGuid():N}";
        var forever = $"t-{Guid.NewGuid():N}";
        var mine = await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 3);
        var theirs = await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 3, tenant: other);
        var kept = await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 400, tenant: forever);
        var options = new RetentionOptions
        {
            Period = TimeSpan.FromDays(30),
            TenantPeriods = { [_tenant] = TimeSpan.FromDays(2), [forever] = TimeSpan.Zero },
        };

        await Service().PurgeAsync(options, CancellationToken.None);

        Assert.Null(await Store.GetInstanceAsync(mine, CancellationToken.None));
        Assert.NotNull(await Store.GetInstanceAsync(theirs, CancellationToken.None)); // 3 days < the default 30
        Assert.NotNull(await Store.GetInstanceAsync(kept, CancellationToken.None));

        _clock.Advance(28 * Day);
        await Service().PurgeAsync(options, CancellationToken.None);
        Assert.Null(await Store.GetInstanceAsync(theirs, CancellationToken.None));
        Assert.NotNull(await Store.GetInstanceAsync(kept, CancellationToken.None));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_batch_deletes_at_most_batch_size_instances_and_a_cycle_repeats_batches()
    {
        for (var i = 0; i < 5; i++)
        {
            await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 40 + i);
        }

        var pass = Assert.Single(Options(batchSize: 2).Passes(_clock.GetUtcNow()));
        var first = await Store.WriteAsync("purge", (w, t) => w.PurgeFinishedInstancesAsync(pass, 2, t), CancellationToken.None);
        Assert.Equal(2, first.Count);
        Assert.All(first, purged => Assert.Equal(_tenant, purged.TenantId));

        Assert.Equal(3, await Service().PurgeAsync(Options(batchSize: 2), CancellationToken.None));
        Assert.Equal(0, (await Store.ListInstancesAsync(new InstanceQuery(_tenant, null, null, 100, 0), CancellationToken.None)).TotalCount);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Instances_with_a_live_parent_or_child_are_kept_until_it_finishes()
    {
        var runningParent = await InsertAsync(InstanceStatus.Running, finishedDaysAgo: null);
        var oldChild = await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 40);
        await LinkAsync(runningParent, oldChild);
        var oldParent = await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 40);
        var runningChild = await InsertAsync(InstanceStatus.Running, finishedDaysAgo: null);
        await LinkAsync(oldParent, runningChild);

        Assert.Equal(0, await Service().PurgeAsync(Options(), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidInstanceStateException>(() => Service().DeleteAsync(oldChild, _tenant, CancellationToken.None));

        await FinishAsync(runningParent, daysAgo: 35);
        await FinishAsync(runningChild, daysAgo: 35);
        Assert.Equal(4, await Service().PurgeAsync(Options(), CancellationToken.None));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Delete_removes_one_finished_instance_of_the_tenant_and_refuses_the_others()
    {
        var finished = await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 0);
        await AddRowsAsync(finished);
        var running = await InsertAsync(InstanceStatus.Running, finishedDaysAgo: null);

        var wrongTenant = await Assert.ThrowsAsync<InstanceNotFoundException>(() => Service().DeleteAsync(finished, "someone-else", CancellationToken.None));
        Assert.Equal(CoreErrorCodes.InstanceNotFound, wrongTenant.Code);
        await Assert.ThrowsAsync<InstanceNotFoundException>(() => Service().DeleteAsync("no-such-instance", _tenant, CancellationToken.None));
        var live = await Assert.ThrowsAsync<InvalidInstanceStateException>(() => Service().DeleteAsync(running, _tenant, CancellationToken.None));
        Assert.Equal(CoreErrorCodes.InvalidInstanceState, live.Code);
        Assert.NotNull(await Store.GetInstanceAsync(finished, CancellationToken.None));

        await Service().DeleteAsync(finished, _tenant, CancellationToken.None);

        Assert.Null(await Store.GetInstanceAsync(finished, CancellationToken.None));
        Assert.Null(await Store.GetCheckpointAsync(finished, "step-1", CancellationToken.None));
        Assert.Empty((await Store.ListEventsAsync(new EventQuery(finished, null, null, null, null, null, 100, 0), CancellationToken.None)).Items);
        Assert.NotNull(await Store.GetInstanceAsync(running, CancellationToken.None));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Concurrent_purgers_over_one_database_delete_each_instance_once()
    {
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await InsertAsync(InstanceStatus.Completed, finishedDaysAgo: 31 + (i % 7)));
        }

        await using var second = await OpenAsync();
        var counts = await Task.WhenAll(
            Service().PurgeAsync(Options(batchSize: 5), CancellationToken.None),
            Service(second).PurgeAsync(Options(batchSize: 5), CancellationToken.None));

        Assert.Equal(40, counts.Sum());
        Assert.Equal(0, (await Store.ListInstancesAsync(new InstanceQuery(_tenant, null, null, 100, 0), CancellationToken.None)).TotalCount);
    }

    private async Task<string> InsertAsync(InstanceStatus status, int? finishedDaysAgo, int createdDaysAgo = 100, string? tenant = null)
    {
        Skip.If(SkipReason is not null, SkipReason);
        var id = $"ret-{Guid.NewGuid():N}";
        var created = NowMs - (long)(createdDaysAgo * Day.TotalMilliseconds);
        await Store.WriteAsync("insert", async (w, t) =>
        {
            await w.InsertInstanceAsync(new InstanceRecord
            {
                InstanceId = id,
                TenantId = tenant ?? _tenant,
                Status = status,
                CreatedAtMs = created,
                StartedAtMs = created,
                LastActivityMs = created,
                FinishedAtMs = finishedDaysAgo is { } days ? NowMs - (long)(days * Day.TotalMilliseconds) : null,
            }, t);
            return true;
        }, CancellationToken.None);
        return id;
    }

    private Task<bool> AddRowsAsync(string id) =>
        Store.WriteAsync("rows", async (w, t) =>
        {
            var at = NowMs - (long)(60 * Day.TotalMilliseconds);
            await w.SaveCheckpointIfAbsentAsync(id, "step-1", Encoding.UTF8.GetBytes("{}"), at, t);
            await w.InsertEventAsync(new NewEvent(id, EventKind.Custom, "step-1", null, null, at, null), t);
            await w.UpsertPendingSignalAsync(new PendingSignal(id, SignalKind.Pause, [], at), t);
            await w.UpsertCustomSignalAsync(id, "wait-1", Encoding.UTF8.GetBytes("go"), at, t);
            await w.SaveSleepIfAbsentAsync(id, "sleep-1", at + 1000, at, t);
            await w.UpsertRetryAttemptAsync(new RetryAttemptRecord(id, "step-1", 1, "boom", at), t);
            return true;
        }, CancellationToken.None);

    private Task<bool> LinkAsync(string parent, string child) =>
        Store.WriteAsync("link", async (w, t) =>
        {
            await w.InsertChildAsync(new ChildRecord(child, parent, $"key-{child}", "image", [], Detached: false, NowMs), t);
            return true;
        }, CancellationToken.None);

    private Task<bool> FinishAsync(string id, int daysAgo) =>
        Store.WriteAsync("finish", async (w, t) =>
        {
            var instance = await w.GetInstanceAsync(id, t);
            await w.UpdateInstanceAsync(instance! with { Status = InstanceStatus.Completed, FinishedAtMs = NowMs - (long)(daysAgo * Day.TotalMilliseconds) }, t);
            return true;
        }, CancellationToken.None);

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}

public sealed class SqliteRetentionTests : RetentionTests, IDisposable
{
    private readonly TempDirectory _directory = new("runtara-retention");

    protected override string? SkipReason => null;

    protected override Task<ICoreStore> OpenAsync() => OpenSqliteAsync(Path.Combine(_directory.Path, "core.db"));

    public void Dispose() => _directory.Dispose();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRetentionTests(PostgresFixture fixture) : RetentionTests
{
    protected override string? SkipReason => fixture.SkipReason;

    protected override Task<ICoreStore> OpenAsync() => OpenPostgresAsync(fixture.ConnectionString);
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Runtara.Environment.Hosting;
using Runtara.Environment.Images;
using Runtara.Environment.Schedules;
using Runtara.Environment.Storage;
using Runtara.Environment.Storage.Postgres;
using Runtara.Environment.Storage.Sqlite;
using Runtara.Environment.Tests.Storage;
using Runtara.Environment.Workers;

namespace Runtara.Environment.Tests.Schedules;

/// <summary>
/// Schedules on a real store (SQLite file, PostgreSQL cluster) with a fake clock: the service's operations,
/// leased claims, and the worker's cron, interval, overlap, catch-up, pause, trigger and restart behaviour.
/// Starts go to <see cref="FakeInstances"/>, which is idempotent by instance id like StartInstance.
/// </summary>
public abstract class ScheduleBehaviourTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<IEnvironmentStore> _stores = [];
    private IEnvironmentStore? _store;

    protected FakeTimeProvider Time { get; } = new(Start);

    protected FakeInstances Instances { get; } = new();

    protected string Tenant { get; } = $"t-{Guid.NewGuid():N}";

    protected string ImageId { get; } = $"img-{Guid.NewGuid():N}";

    protected abstract string? SkipReason { get; }

    /// <summary>A new store on the test's database (another environment, or the same one after a restart).</summary>
    protected abstract Task<IEnvironmentStore> OpenStoreAsync();

    private IEnvironmentStore Store
    {
        get
        {
            Skip.If(SkipReason is not null, SkipReason);
            return _store!;
        }
    }

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _store = await OpenAsync();
        await _store.RegisterImageAsync(new ImageRecord(ImageId, Tenant, "nightly", null, "native", "executable", string.Empty, "sha", 1, null, 1, 1), default);
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task A_schedule_is_created_listed_with_its_next_fire_paused_unpaused_and_deleted()
    {
        var service = Service(Store);
        var id = Id();
        var (created, isNew) = await service.CreateAsync(Cron(id, "0 */5 * * * *"), default);
        var (again, againNew) = await service.CreateAsync(Cron(id, "0 */5 * * * *") with { Image = "nightly" }, default);
        var list = await service.ListAsync(Tenant, 100, 0, default);
        var paused = await service.PauseAsync(id, Tenant, default);
        Time.Advance(TimeSpan.FromMinutes(12));
        var unpaused = await service.UnpauseAsync(id, Tenant, default);
        await service.DeleteAsync(id, Tenant, default);

        Assert.True(isNew);
        Assert.False(againNew);
        Assert.Equal(Ms(Start.AddMinutes(5)), created.NextFireAtMs);
        Assert.Equal(created.NextFireAtMs, again.NextFireAtMs);
        Assert.Equal(ImageId, again.ImageId);
        var listed = Assert.Single(list.Items);
        Assert.Equal(1, list.TotalCount);
        Assert.Equal(created.NextFireAtMs, listed.NextFireAtMs);
        Assert.True(paused.Paused);
        Assert.Null(paused.NextFireAtMs);
        Assert.False(unpaused.Paused);
        Assert.Equal(Ms(Start.AddMinutes(15)), unpaused.NextFireAtMs);
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.GetAsync(id, Tenant, default));
    }

    [SkippableFact]
    public async Task Another_tenant_can_neither_see_nor_change_a_schedule()
    {
        var service = Service(Store);
        var id = Id();
        await service.CreateAsync(Cron(id, "0 0 * * * *"), default);
        const string other = "someone-else";

        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.GetAsync(id, other, default));
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.PauseAsync(id, other, default));
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.UnpauseAsync(id, other, default));
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.TriggerAsync(id, other, default));
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.DeleteAsync(id, other, default));
        await Assert.ThrowsAsync<ScheduleAlreadyExistsException>(() => service.CreateAsync(Cron(id, "0 0 * * * *") with { TenantId = other }, default));
        Assert.Equal(0, (await service.ListAsync(other, 100, 0, default)).TotalCount);
        Assert.False((await service.GetAsync(id, Tenant, default)).Paused);
        Assert.Empty(Instances.Starts);
    }

    [SkippableFact]
    public async Task Bad_definitions_are_refused_with_the_field_named()
    {
        var service = Service(Store);
        var bad = new[]
        {
            (Cron(Id(), "not a cron"), "cron"),
            (Cron(Id(), "0 0 * * *") with { TimeZone = "Mars/Olympus" }, "time_zone"),
            (Cron(Id(), "0 0 * * *") with { IntervalMs = 60_000 }, "cron"),
            (Interval(Id(), 1500), "interval_ms"),
            (Cron(Id(), "0 0 * * *") with { Input = "{"u8.ToArray() }, "input"),
            (Cron(new string('s', 112), "0 0 * * *"), "schedule_id"),
        };

        foreach (var (definition, field) in bad)
        {
            var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => service.CreateAsync(definition, default));
            Assert.Equal(field, error.Field);
        }

        await Assert.ThrowsAsync<ImageNotFoundException>(() => service.CreateAsync(Cron(Id(), "0 0 * * *") with { Image = "missing" }, default));
    }

    [SkippableFact]
    public async Task Of_two_claimers_of_a_due_schedule_exactly_one_wins_until_its_lease_expires()
    {
        var service = Service(Store);
        var id = Id();
        await service.CreateAsync(Interval(id, 60_000), default);
        var other = await OpenAsync();
        var now = Ms(Start.AddMinutes(1));

        var claims = await Task.WhenAll(
            Task.Run(() => Store.ClaimDueSchedulesAsync("a", now, now + 30_000, 10, default)),
            Task.Run(() => other.ClaimDueSchedulesAsync("b", now, now + 30_000, 10, default)));
        var winner = claims[0].Any(s => s.ScheduleId == id) ? "a" : "b";
        var loser = winner == "a" ? "b" : "a";
        var whileLeased = await Store.ClaimDueSchedulesAsync(loser, now + 29_999, now + 60_000, 10, default);
        var lostCompletion = await Store.CompleteScheduleFireAsync(loser, new ScheduleFireOutcome(id, now + 60_000, now, "x", null, now), default);
        var afterExpiry = await other.ClaimDueSchedulesAsync(loser, now + 30_000, now + 60_000, 10, default);

        Assert.Equal(1, claims.Sum(c => c.Count(s => s.ScheduleId == id)));
        Assert.DoesNotContain(whileLeased, s => s.ScheduleId == id);
        Assert.False(lostCompletion);
        Assert.Contains(afterExpiry, s => s.ScheduleId == id);
        Assert.False(await Store.CompleteScheduleFireAsync(winner, new ScheduleFireOutcome(id, now + 60_000, now, "x", null, now), default));
        Assert.True(await Store.CompleteScheduleFireAsync(loser, new ScheduleFireOutcome(id, now + 60_000, now, "x", null, now), default));
        Assert.Equal(now + 60_000, (await Store.GetScheduleAsync(id, default))!.NextFireAtMs);
    }

    [SkippableFact]
    public async Task A_cron_schedule_with_seconds_fires_once_per_tick_with_ids_derived_from_the_fire_time()
    {
        var id = Id();
        await Service(Store).CreateAsync(Cron(id, "*/10 * * * * *") with { Overlap = ScheduleOverlap.AllowAll }, default);
        var worker = Worker(Store);

        await worker.RunOnceAsync(default);
        Time.Advance(TimeSpan.FromSeconds(10));
        await worker.RunOnceAsync(default);
        await worker.RunOnceAsync(default);
        Time.Advance(TimeSpan.FromSeconds(10.5));
        await worker.RunOnceAsync(default);

        Assert.Equal([$"{id}-20260601T000010Z", $"{id}-20260601T000020Z"], Instances.Starts);
        var stored = await Store.GetScheduleAsync(id, default);
        Assert.Equal(Ms(Start.AddSeconds(30)), stored!.NextFireAtMs);
        Assert.Equal($"{id}-20260601T000020Z", stored.LastInstanceId);
    }

    [SkippableFact]
    public async Task A_five_field_cron_in_a_time_zone_fires_at_local_time()
    {
        var id = Id();
        var (schedule, _) = await Service(Store).CreateAsync(Cron(id, "30 9 * * *") with { TimeZone = "Europe/Berlin" }, default);

        // 09:30 in Berlin in June (CEST, UTC+2) is 07:30 UTC.
        Assert.Equal(Ms(Start.AddHours(7.5)), schedule.NextFireAtMs);
        Time.Advance(TimeSpan.FromHours(7.5));
        await Worker(Store).RunOnceAsync(default);
        Assert.Equal([$"{id}-20260601T073000Z"], Instances.Starts);
    }

    [SkippableFact]
    public async Task An_interval_schedule_fires_every_interval()
    {
        var id = Id();
        await Service(Store).CreateAsync(Interval(id, 90_000) with { Overlap = ScheduleOverlap.AllowAll }, default);
        var worker = Worker(Store);

        for (var i = 0; i < 4; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(45));
            await worker.RunOnceAsync(default);
        }

        Assert.Equal([$"{id}-20260601T000130Z", $"{id}-20260601T000300Z"], Instances.Starts);
    }

    [SkippableFact]
    public async Task Overlap_skip_drops_fires_while_the_previous_instance_is_live()
    {
        var id = Id();
        await Service(Store).CreateAsync(Interval(id, 60_000) with { Overlap = ScheduleOverlap.Skip }, default);
        var worker = Worker(Store);

        await TickAsync(worker, TimeSpan.FromMinutes(1));
        await TickAsync(worker, TimeSpan.FromMinutes(1));
        Instances.Finish($"{id}-20260601T000100Z");
        await TickAsync(worker, TimeSpan.FromMinutes(1));

        Assert.Equal([$"{id}-20260601T000100Z", $"{id}-20260601T000300Z"], Instances.Starts);
    }

    [SkippableFact]
    public async Task Overlap_buffer_one_keeps_one_fire_and_starts_it_when_the_previous_instance_ends()
    {
        var id = Id();
        await Service(Store).CreateAsync(Interval(id, 60_000) with { Overlap = ScheduleOverlap.BufferOne }, default);
        var worker = Worker(Store);

        await TickAsync(worker, TimeSpan.FromMinutes(1));
        await TickAsync(worker, TimeSpan.FromMinutes(1));
        await TickAsync(worker, TimeSpan.FromMinutes(1));
        var buffered = await Store.GetScheduleAsync(id, default);
        Instances.Finish($"{id}-20260601T000100Z");
        await TickAsync(worker, TimeSpan.FromSeconds(1));

        Assert.Equal(Ms(Start.AddMinutes(2)), buffered!.BufferedFireAtMs);
        Assert.Equal([$"{id}-20260601T000100Z", $"{id}-20260601T000200Z"], Instances.Starts);
        Assert.Null((await Store.GetScheduleAsync(id, default))!.BufferedFireAtMs);
    }

    [SkippableFact]
    public async Task Overlap_allow_all_starts_every_fire()
    {
        var id = Id();
        await Service(Store).CreateAsync(Interval(id, 60_000) with { Overlap = ScheduleOverlap.AllowAll }, default);
        var worker = Worker(Store);

        for (var i = 0; i < 3; i++)
        {
            await TickAsync(worker, TimeSpan.FromMinutes(1));
        }

        Assert.Equal(3, Instances.Starts.Count);
        Assert.Equal(3, Instances.Live.Count);
    }

    [SkippableTheory]
    [InlineData(ScheduleCatchUp.Skip, 0, new string[0])]
    [InlineData(ScheduleCatchUp.RunOnce, 0, new[] { "T005500Z" })]
    [InlineData(ScheduleCatchUp.RunAll, 3, new[] { "T004500Z", "T005000Z", "T005500Z" })]
    [InlineData(ScheduleCatchUp.RunAll, 50, new[] { "T000500Z", "T001000Z", "T001500Z", "T002000Z", "T002500Z", "T003000Z", "T003500Z", "T004000Z", "T004500Z", "T005000Z", "T005500Z" })]
    public async Task After_a_downtime_missed_fires_follow_the_catch_up_policy(ScheduleCatchUp catchUp, int limit, string[] expected)
    {
        var id = Id();
        await Service(Store).CreateAsync(Cron(id, "*/5 * * * *") with { CatchUp = catchUp, CatchUpLimit = limit, Overlap = ScheduleOverlap.AllowAll }, default);

        // Down from 00:00 to 00:59:30: eleven fires (00:05-00:55) are older than the grace and missed.
        Time.Advance(TimeSpan.FromMinutes(59.5));
        await Worker(Store).RunOnceAsync(default);

        Assert.Equal(expected.Select(e => $"{id}-20260601{e}"), Instances.Starts);
        Assert.Equal(Ms(Start.AddHours(1)), (await Store.GetScheduleAsync(id, default))!.NextFireAtMs);
    }

    [SkippableFact]
    public async Task A_fire_found_within_the_grace_is_on_time_whatever_the_catch_up_policy()
    {
        var id = Id();
        await Service(Store).CreateAsync(Cron(id, "*/5 * * * *") with { CatchUp = ScheduleCatchUp.Skip }, default);

        Time.Advance(TimeSpan.FromMinutes(5.5));
        await Worker(Store).RunOnceAsync(default);

        Assert.Equal([$"{id}-20260601T000500Z"], Instances.Starts);
    }

    [SkippableFact]
    public async Task A_paused_schedule_does_not_fire_and_unpausing_does_not_catch_up()
    {
        var id = Id();
        var service = Service(Store);
        await service.CreateAsync(Interval(id, 60_000) with { CatchUp = ScheduleCatchUp.RunAll, CatchUpLimit = 10, Overlap = ScheduleOverlap.AllowAll }, default);
        var worker = Worker(Store);
        await service.PauseAsync(id, Tenant, default);

        await TickAsync(worker, TimeSpan.FromMinutes(5));
        await service.UnpauseAsync(id, Tenant, default);
        await TickAsync(worker, TimeSpan.FromSeconds(30));
        await TickAsync(worker, TimeSpan.FromSeconds(30));

        Assert.Equal([$"{id}-20260601T000600Z"], Instances.Starts);
    }

    [SkippableFact]
    public async Task Trigger_now_starts_at_once_even_when_paused_and_twice_in_one_second_is_one_instance()
    {
        var id = Id();
        var service = Service(Store);
        await service.CreateAsync(Cron(id, "0 0 * * *") with { Paused = true }, default);
        Time.Advance(TimeSpan.FromSeconds(7.2));

        var first = await service.TriggerAsync(id, Tenant, default);
        Time.Advance(TimeSpan.FromMilliseconds(500));
        var second = await service.TriggerAsync(id, Tenant, default);

        Assert.Equal($"{id}-20260601T000007Z", first.InstanceId);
        Assert.True(first.Created);
        Assert.Equal(first.InstanceId, second.InstanceId);
        Assert.False(second.Created);
        Assert.Equal(first.InstanceId, (await Store.GetScheduleAsync(id, default))!.LastInstanceId);
    }

    [SkippableFact]
    public async Task The_next_fire_survives_a_restart_and_re_registering_the_same_timing_keeps_it()
    {
        var id = Id();
        await Service(Store).CreateAsync(Interval(id, 3_600_000), default);
        Time.Advance(TimeSpan.FromMinutes(40));

        // A restart: new store, service and worker on the same database; the AppHost registers again.
        var restarted = await OpenAsync();
        var (again, _) = await Service(restarted).CreateAsync(Interval(id, 3_600_000), default);
        Time.Advance(TimeSpan.FromMinutes(20));
        await Worker(restarted).RunOnceAsync(default);

        Assert.Equal(Ms(Start.AddHours(1)), again.NextFireAtMs);
        Assert.Equal([$"{id}-20260601T010000Z"], Instances.Starts);
    }

    [SkippableFact]
    public async Task Two_environments_on_one_database_start_each_fire_once()
    {
        var id = Id();
        await Service(Store).CreateAsync(Cron(id, "* * * * * *") with { Overlap = ScheduleOverlap.AllowAll }, default);
        var workers = new[] { Worker(Store), Worker(await OpenAsync()) };

        for (var i = 0; i < 5; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunOnceAsync(default))));
        }

        Assert.Equal(5, Instances.Starts.Count);
        Assert.Equal(5, Instances.Starts.Distinct().Count());
        Assert.All(Instances.Calls.Values, calls => Assert.Equal(1, calls));
    }

    [SkippableFact]
    public async Task Two_environments_with_their_own_ids_start_each_of_1000_fires_exactly_once()
    {
        var id = Id();
        await Service(Store).CreateAsync(Cron(id, "* * * * * *") with { Overlap = ScheduleOverlap.AllowAll }, default);
        var workers = new[] { Worker(Store, "env-a"), Worker(await OpenAsync(), "env-b") };

        for (var i = 0; i < 1000; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunOnceAsync(default))));
        }

        Assert.Equal(1000, Instances.Starts.Count(s => s.StartsWith(id, StringComparison.Ordinal)));
        Assert.All(Instances.Calls.Values, calls => Assert.Equal(1, calls));
    }

    [SkippableFact]
    public async Task A_fire_whose_environment_died_before_recording_it_is_started_again_as_the_same_instance()
    {
        var id = Id();
        await Service(Store).CreateAsync(Interval(id, 60_000), default);
        Time.Advance(TimeSpan.FromMinutes(1));
        var now = Ms(Time.GetUtcNow());

        // An environment claims, starts the fire, and dies before writing back.
        Assert.Single(await Store.ClaimDueSchedulesAsync("dead", now, now + 30_000, 10, default));
        await Instances.StartAsync((await Store.GetScheduleAsync(id, default))!, now, default);
        await Worker(Store).RunOnceAsync(default);
        var whileLeased = Instances.Calls.Values.Sum();
        Time.Advance(TimeSpan.FromSeconds(31));
        await Worker(Store).RunOnceAsync(default);

        Assert.Equal(1, whileLeased);
        Assert.Equal([$"{id}-20260601T000100Z"], Instances.Starts);
        Assert.Equal(2, Instances.Calls[$"{id}-20260601T000100Z"]);
    }

    protected static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private async Task<IEnvironmentStore> OpenAsync()
    {
        var store = await OpenStoreAsync();
        _stores.Add(store);
        return store;
    }

    private async Task TickAsync(ScheduleWorker worker, TimeSpan step)
    {
        Time.Advance(step);
        await worker.RunOnceAsync(default);
    }

    private static string Id() => $"s{Guid.NewGuid():N}"[..12];

    private ScheduleDefinition Cron(string id, string cron) =>
        new(Tenant, id, ImageId, cron, null, null, """{"n":1}"""u8.ToArray(), ScheduleOverlap.Skip, ScheduleCatchUp.Skip, 1, false);

    private ScheduleDefinition Interval(string id, long intervalMs) =>
        new(Tenant, id, ImageId, null, null, intervalMs, ReadOnlyMemory<byte>.Empty, ScheduleOverlap.Skip, ScheduleCatchUp.Skip, 1, false);

    private ScheduleService Service(IEnvironmentStore store)
    {
        var options = Options.Create(new EnvironmentOptions { DataDirectory = Path.GetTempPath() });
        var images = new ImageService(store, new ImageContentStore(options), Time, NullLogger<ImageService>.Instance);
        return new ScheduleService(store, images, Instances, Time);
    }

    private ScheduleWorker Worker(IEnvironmentStore store, string? environmentId = null) =>
        new(store, Instances, Options.Create(new EnvironmentOptions { EnvironmentId = environmentId }), Time, NullLogger<ScheduleWorker>.Instance);

    /// <summary>Starts recorded in order; idempotent by instance id; live until <see cref="Finish"/>.</summary>
    protected sealed class FakeInstances : IScheduleInstances
    {
        private readonly object _gate = new();

        public List<string> Starts { get; } = [];

        public HashSet<string> Live { get; } = [];

        public ConcurrentDictionary<string, int> Calls { get; } = new();

        public Task<(string InstanceId, bool Created)> StartAsync(ScheduleRecord schedule, long fireAtMs, CancellationToken cancellationToken)
        {
            var id = ScheduleInstanceIds.For(schedule.ScheduleId, fireAtMs);
            Calls.AddOrUpdate(id, 1, (_, n) => n + 1);
            lock (_gate)
            {
                if (Starts.Contains(id))
                {
                    return Task.FromResult((id, false));
                }

                Starts.Add(id);
                Live.Add(id);
                return Task.FromResult((id, true));
            }
        }

        public Task<bool> IsLiveAsync(string instanceId, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return Task.FromResult(Live.Contains(instanceId));
            }
        }

        public void Finish(string instanceId)
        {
            lock (_gate)
            {
                Live.Remove(instanceId);
            }
        }
    }
}

public sealed class SqliteScheduleTests : ScheduleBehaviourTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("runtara-env-schedules-").FullName;

    protected override string? SkipReason => null;

    protected override async Task<IEnvironmentStore> OpenStoreAsync()
    {
        var store = new SqliteEnvironmentStore(Path.Combine(_directory, "environment.db"));
        await store.MigrateAsync(default);
        return store;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgresScheduleTests(PostgresStoreFixture fixture) : ScheduleBehaviourTests, IClassFixture<PostgresStoreFixture>
{
    protected override string? SkipReason => fixture.ConnectionString is null ? PostgresCluster.SkipReason ?? "PostgreSQL did not start" : null;

    // Workers claim every tenant's schedules: each test gets a database of its own.
    private string? _connectionString;

    protected override async Task<IEnvironmentStore> OpenStoreAsync()
    {
        if (_connectionString is null)
        {
            var database = $"schedules_{Guid.NewGuid():N}";
            await fixture.Cluster!.CreateDatabaseAsync(database);
            _connectionString = fixture.Cluster.ConnectionString(database);
        }

        var store = new PostgresEnvironmentStore(_connectionString);
        await store.MigrateAsync(default);
        return store;
    }
}

using Runtara.Environment.Storage;
using Runtara.Environment.Storage.Postgres;
using Runtara.Environment.Storage.Sqlite;
using Runtara.Testing;

namespace Runtara.Environment.Tests.Storage;

/// <summary>The same behaviour of the environment store on SQLite and on PostgreSQL.</summary>
public abstract partial class StoreBehaviourTests
{
    protected abstract IEnvironmentStore Store { get; }

    [SkippableFact]
    public async Task Migrations_are_idempotent_and_the_store_answers()
    {
        await Store.MigrateAsync(default);
        await Store.MigrateAsync(default);
        Assert.True(await Store.PingAsync(default));
    }

    [SkippableFact]
    public async Task Registering_a_name_again_keeps_the_id_adds_a_version_for_new_content_and_lists_with_a_real_total()
    {
        var tenant = Tenant();
        // Content hashes of this test only: the store is shared with the other tests.
        var (one, two) = ($"{tenant}-sha-1", $"{tenant}-sha-2");
        var first = await Store.RegisterImageAsync(Image(tenant, "a", one), default);
        var second = await Store.RegisterImageAsync(Image(tenant, "a", two), default);
        var same = await Store.RegisterImageAsync(Image(tenant, "a", two) with { Description = "again" }, default);
        await Store.RegisterImageAsync(Image(tenant, "b", one), default);

        var page = await Store.ListImagesAsync(tenant, 1, 0, default);

        Assert.Equal((first.ImageId, 1), (second.ImageId, second.Version - 1));
        Assert.Equal((two, 2, "again"), (same.Sha256, same.Version, same.Description));
        Assert.Equal(2, page.TotalCount);
        Assert.Single(page.Items);
        Assert.Equal([2, 1], (await Store.ListImageVersionsAsync(first.ImageId, default)).Select(v => v.Version));
        Assert.Equal(one, (await Store.GetImageVersionAsync(first.ImageId, 1, default))!.Sha256);
        Assert.Equal((two, 2), ((await Store.GetImageAsync(first.ImageId, default))!.Sha256, (await Store.GetImageAsync(first.ImageId, default))!.Version));
        Assert.Null(await Store.GetImageVersionAsync(first.ImageId, 3, default));
        Assert.Equal(2, await Store.CountImagesWithContentAsync(one, default));
        Assert.True(await Store.DeleteImageAsync(first.ImageId, default));
        Assert.False(await Store.DeleteImageAsync(first.ImageId, default));
        Assert.Null(await Store.GetImageAsync(first.ImageId, default));
        Assert.Empty(await Store.ListImageVersionsAsync(first.ImageId, default));
    }

    [SkippableFact]
    public async Task Deleting_the_newest_version_makes_the_one_before_newest_and_deleting_the_last_deletes_the_image()
    {
        var tenant = Tenant();
        var image = await Store.RegisterImageAsync(Image(tenant, "v", "sha-v1"), default);
        await Store.RegisterImageAsync(Image(tenant, "v", "sha-v2"), default);
        await Store.RegisterImageAsync(Image(tenant, "v", "sha-v3") with { Metadata = """{"runner":"oci"}""" }, default);
        var run = Run(tenant, image.ImageId, 1000) with { ImageVersion = 2, Status = RunStatus.Suspended };
        Assert.True(await Store.TryInsertRunAsync(run, default));

        Assert.Equal(1, await Store.CountActiveRunsOfImageVersionAsync(image.ImageId, 2, default));
        Assert.Equal(0, await Store.CountActiveRunsOfImageVersionAsync(image.ImageId, 3, default));
        Assert.Equal(2, (await Store.GetRunAsync(run.InstanceId, default))!.ImageVersion);
        Assert.True(await Store.DeleteImageVersionAsync(image.ImageId, 3, default));
        Assert.False(await Store.DeleteImageVersionAsync(image.ImageId, 3, default));
        var newest = (await Store.GetImageAsync(image.ImageId, default))!;
        Assert.Equal((2, "sha-v2", (string?)null), (newest.Version, newest.Sha256, newest.Metadata));

        // A registration after a deleted newest version gets a number never used before.
        var next = await Store.RegisterImageAsync(Image(tenant, "v", "sha-v4"), default);
        Assert.Equal(4, next.Version);
        Assert.True(await Store.DeleteImageVersionAsync(image.ImageId, 1, default));
        Assert.True(await Store.DeleteImageVersionAsync(image.ImageId, 2, default));
        Assert.True(await Store.DeleteImageVersionAsync(image.ImageId, 4, default));
        Assert.Null(await Store.GetImageAsync(image.ImageId, default));
    }

    [SkippableFact]
    public async Task Concurrent_registrations_of_one_name_get_distinct_versions()
    {
        var tenant = Tenant();
        await Store.RegisterImageAsync(Image(tenant, "race", "sha-0"), default);

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Store.RegisterImageAsync(Image(tenant, "race", $"sha-{i}"), default)));

        Assert.Equal(Enumerable.Range(2, 8), results.Select(r => r.Version).Order());
        Assert.Single(results.Select(r => r.ImageId).Distinct());
        Assert.Equal(9, (await Store.ListImageVersionsAsync(results[0].ImageId, default)).Count);
    }

    [SkippableFact]
    public async Task Run_insert_is_insert_if_absent_and_updates_round_trip_every_column()
    {
        var run = Run(Tenant(), "img", 1000) with { Input = "{\"a\":1}"u8.ToArray(), Env = "{\"K\":\"V\"}" };
        Assert.True(await Store.TryInsertRunAsync(run, default));
        Assert.False(await Store.TryInsertRunAsync(run with { ImageId = "other" }, default));

        var updated = run with
        {
            Status = RunStatus.Completed, StartedAtMs = 1100, FinishedAtMs = 1200, Pid = 42, ProcessStartTicks = 123456789012, ExitCode = 0,
            Error = "e", StderrTail = "tail", MemoryPeakBytes = 1 << 30, CpuUsageUsec = 5000, RetryCount = 1, MaxRetries = 2, LaunchCount = 2, CheckpointId = "cp", UpdatedAtMs = 1300,
            ImageVersion = 3, Origin = "fork of i-0 at step:a",
        };
        await Store.UpdateRunAsync(updated, default);
        var read = await Store.GetRunAsync(run.InstanceId, default);

        Assert.Equal(updated with { Input = null }, read! with { Input = null });
        Assert.Equal(run.Input, read.Input);
    }

    [SkippableFact]
    public async Task Runs_are_filtered_ordered_paged_and_counted()
    {
        var tenant = Tenant();
        for (var i = 0; i < 5; i++)
        {
            var run = Run(tenant, i % 2 == 0 ? "img-even" : "img-odd", 1000 + i) with { ImageName = i % 2 == 0 ? "even-name" : "odd_name" };
            await Store.TryInsertRunAsync(run, default);
            if (i < 3)
            {
                await Store.UpdateRunAsync(run with { Status = RunStatus.Completed, FinishedAtMs = 5000 - i }, default);
            }
        }

        RunQuery Query(RunStatus? status = null, string? image = null, string? prefix = null, RunOrder order = RunOrder.CreatedAtDesc, int limit = 100, int offset = 0, long? finishedAfter = null) =>
            new(tenant, status, image, prefix, null, null, finishedAfter, null, order, limit, offset);

        var newest = await Store.ListRunsAsync(Query(limit: 2), default);
        var completed = await Store.ListRunsAsync(Query(RunStatus.Completed), default);
        var even = await Store.ListRunsAsync(Query(image: "img-even"), default);
        var prefix = await Store.ListRunsAsync(Query(prefix: "odd_"), default);
        var literalUnderscore = await Store.ListRunsAsync(Query(prefix: "odd%"), default);
        var finishedAsc = await Store.ListRunsAsync(Query(order: RunOrder.FinishedAtAsc), default);
        var finishedAfter = await Store.ListRunsAsync(Query(finishedAfter: 4999), default);

        Assert.Equal(5, newest.TotalCount);
        Assert.Equal([1004L, 1003L], newest.Items.Select(r => r.CreatedAtMs));
        Assert.Equal(3, completed.TotalCount);
        Assert.Equal(3, even.TotalCount);
        Assert.Equal(2, prefix.TotalCount);
        Assert.Equal(0, literalUnderscore.TotalCount);
        Assert.Equal([4998L, 4999L, 5000L], finishedAsc.Items.Take(3).Select(r => r.FinishedAtMs!.Value));
        Assert.Null(finishedAsc.Items[^1].FinishedAtMs);
        Assert.Equal(2, finishedAfter.TotalCount);
        Assert.Equal(2, await Store.CountActiveRunsOfTenantAsync(tenant, default));
        Assert.Equal(1, await Store.CountActiveRunsOfImageAsync("img-odd", default) - 0 + (await Store.CountActiveRunsOfImageAsync("img-even", default) - 1));
    }

    [SkippableFact]
    public async Task Runs_by_status_and_counts_by_status_see_only_those_statuses()
    {
        var tenant = Tenant();
        var running = Run(tenant, "img", 1) with { Status = RunStatus.Running };
        var suspended = Run(tenant, "img", 2) with { Status = RunStatus.Suspended };
        await Store.TryInsertRunAsync(running, default);
        await Store.TryInsertRunAsync(suspended, default);

        var active = await Store.ListRunsByStatusAsync([RunStatus.Running, RunStatus.Pending], default);
        var counts = await Store.CountRunsByStatusAsync(default);

        Assert.Contains(active, r => r.InstanceId == running.InstanceId);
        Assert.DoesNotContain(active, r => r.InstanceId == suspended.InstanceId);
        Assert.True(counts[RunStatus.Suspended] >= 1);
        await Store.DeleteRunAsync(running.InstanceId, default);
        Assert.Null(await Store.GetRunAsync(running.InstanceId, default));
    }

    private static string Tenant() => $"t-{Guid.NewGuid():N}";

    private static ImageRecord Image(string tenant, string name, string sha) =>
        new(Guid.NewGuid().ToString(), tenant, name, null, "native", "executable", string.Empty, sha, 10, null, 1, 1);

    private static RunRecord Run(string tenant, string image, long createdAt) => new()
    {
        InstanceId = $"i-{Guid.NewGuid():N}",
        TenantId = tenant,
        ImageId = image,
        ImageName = "name",
        TimeoutSeconds = 300,
        CreatedAtMs = createdAt,
        UpdatedAtMs = createdAt,
    };
}

public sealed class SqliteStoreTests : StoreBehaviourTests, IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("runtara-env-store-").FullName;
    private SqliteEnvironmentStore _store = null!;

    protected override IEnvironmentStore Store => _store;

    public async Task InitializeAsync()
    {
        _store = new SqliteEnvironmentStore(Path.Combine(_directory, "environment.db"));
        await _store.MigrateAsync(default);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_database_uses_wal_and_full_synchronous_writes()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.Path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)(await command.ExecuteScalarAsync())!);
    }
}

/// <summary>One throwaway PostgreSQL cluster for the PostgreSQL store tests (skipped with the reason when the binaries are absent).</summary>
public sealed class PostgresStoreFixture : IAsyncLifetime
{
    public PostgresCluster? Cluster { get; private set; }

    public string? ConnectionString { get; private set; }

    public async Task InitializeAsync()
    {
        if (PostgresCluster.SkipReason is not null)
        {
            return;
        }

        Cluster = await PostgresCluster.StartAsync();
        await Cluster.CreateDatabaseAsync("environment_tests");
        ConnectionString = Cluster.ConnectionString("environment_tests");
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}

public sealed class PostgresStoreTests(PostgresStoreFixture fixture) : StoreBehaviourTests, IClassFixture<PostgresStoreFixture>, IAsyncLifetime
{
    private PostgresEnvironmentStore? _store;

    protected override IEnvironmentStore Store
    {
        get
        {
            Skip.If(PostgresCluster.SkipReason is not null, PostgresCluster.SkipReason);
            return _store!;
        }
    }

    public async Task InitializeAsync()
    {
        if (fixture.ConnectionString is not null)
        {
            _store = new PostgresEnvironmentStore(fixture.ConnectionString);
            await _store.MigrateAsync(default);
        }
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Concurrent_migrations_from_several_environments_apply_once()
    {
        Skip.If(fixture.ConnectionString is null, PostgresCluster.SkipReason);
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresEnvironmentStore(fixture.ConnectionString!)).ToList();
        await Task.WhenAll(stores.Select(s => s.MigrateAsync(default)));
        foreach (var store in stores)
        {
            Assert.True(await store.PingAsync(default));
            await store.DisposeAsync();
        }
    }
}

using Runtara.Environment.Storage;
using Runtara.Environment.Storage.Postgres;

namespace Runtara.Environment.Tests.Storage;

/// <summary>
/// Run ownership and leases (docs/environment.md, "Several environments") on SQLite and PostgreSQL: runs carry
/// their owner and lease; renewal extends only the owner's pending and running runs; a claim takes only expired
/// leases (or runs without one), once. The store may be shared with other tests: assertions look at this test's runs.
/// </summary>
public abstract partial class StoreBehaviourTests
{
    [SkippableFact]
    public async Task A_run_keeps_its_owner_and_lease_through_insert_and_update()
    {
        var run = Run(Tenant(), "img", 1000) with { OwnerId = "env-a", LeaseUntilMs = 31_000 };
        Assert.True(await Store.TryInsertRunAsync(run, default));
        var inserted = await Store.GetRunAsync(run.InstanceId, default);
        Assert.True(await Store.UpdateRunAsync(inserted! with { Status = RunStatus.Suspended, LeaseUntilMs = 62_000 }, default));
        // A suspended run holds no lease: whoever wakes it takes it.
        Assert.True(await Store.UpdateRunAsync(inserted with { Status = RunStatus.Running, OwnerId = "env-b", LeaseUntilMs = 93_000 }, default));
        var updated = await Store.GetRunAsync(run.InstanceId, default);

        Assert.Equal(("env-a", (long?)31_000), (inserted.OwnerId, inserted.LeaseUntilMs));
        Assert.Equal((RunStatus.Running, "env-b", (long?)93_000), (updated!.Status, updated.OwnerId, updated.LeaseUntilMs));
    }

    [SkippableFact]
    public async Task An_update_from_an_environment_that_lost_a_pending_or_running_run_writes_nothing()
    {
        var tenant = Tenant();
        var owner = $"env-{Guid.NewGuid():N}";
        var running = await OwnedRunAsync(tenant, owner, RunStatus.Running, 1_000);
        var pending = await OwnedRunAsync(tenant, owner, RunStatus.Pending, 1_000);
        // What the lost owner read before the takeover, written back after it.
        var read = new[] { await Store.GetRunAsync(running, default), await Store.GetRunAsync(pending, default) };
        var taken = (await Store.ClaimExpiredRunsAsync("env-new", 1_001, 50_000, 10_000, default)).Select(r => r.InstanceId).ToList();
        Assert.Contains(running, taken);
        Assert.Contains(pending, taken);
        foreach (var stale in read)
        {
            var id = stale!.InstanceId;
            Assert.False(await Store.UpdateRunAsync(stale! with { Status = RunStatus.Failed, Error = "stale" }, default));
            var after = await Store.GetRunAsync(id, default);
            Assert.Equal(("env-new", (string?)null, stale.Status), (after!.OwnerId, after.Error, after.Status));
            Assert.True(await Store.UpdateRunAsync(after with { Error = "owner" }, default));
        }
    }

    [SkippableFact]
    public async Task Renewal_extends_the_leases_of_the_owners_pending_and_running_runs_only()
    {
        var tenant = Tenant();
        var owner = $"env-{Guid.NewGuid():N}";
        var other = $"env-{Guid.NewGuid():N}";
        var pending = await OwnedRunAsync(tenant, owner, RunStatus.Pending, 1_000);
        var running = await OwnedRunAsync(tenant, owner, RunStatus.Running, 1_000);
        var suspended = await OwnedRunAsync(tenant, owner, RunStatus.Suspended, 1_000);
        var completed = await OwnedRunAsync(tenant, owner, RunStatus.Completed, 1_000);
        var others = await OwnedRunAsync(tenant, other, RunStatus.Running, 1_000);

        var renewed = await Store.RenewRunLeasesAsync(owner, 50_000, default);

        Assert.Equal(Sorted(pending, running), renewed.Order(StringComparer.Ordinal), StringComparer.Ordinal);
        Assert.Equal(50_000, (await Store.GetRunAsync(running, default))!.LeaseUntilMs);
        Assert.Equal(1_000, (await Store.GetRunAsync(suspended, default))!.LeaseUntilMs);
        Assert.Equal(1_000, (await Store.GetRunAsync(completed, default))!.LeaseUntilMs);
        Assert.Equal(1_000, (await Store.GetRunAsync(others, default))!.LeaseUntilMs);
        Assert.Equal(Sorted(pending, running), (await Store.ListOwnedRunsAsync(owner, [RunStatus.Pending, RunStatus.Running], default)).Select(r => r.InstanceId).Order(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    [SkippableFact]
    public async Task A_claim_takes_expired_leases_of_pending_and_running_runs_once_and_nothing_else()
    {
        var tenant = Tenant();
        var dead = $"env-{Guid.NewGuid():N}";
        var claimer = $"env-{Guid.NewGuid():N}";
        var expiredRunning = await OwnedRunAsync(tenant, dead, RunStatus.Running, 9_999);
        var expiredPending = await OwnedRunAsync(tenant, dead, RunStatus.Pending, 5_000);
        var live = await OwnedRunAsync(tenant, dead, RunStatus.Running, 10_001);
        var suspended = await OwnedRunAsync(tenant, dead, RunStatus.Suspended, 1_000);
        var finished = await OwnedRunAsync(tenant, dead, RunStatus.Failed, 1_000);

        var claimed = (await Store.ClaimExpiredRunsAsync(claimer, 10_000, 40_000, 10_000, default)).Where(r => r.TenantId == tenant).ToList();
        var again = (await Store.ClaimExpiredRunsAsync($"env-{Guid.NewGuid():N}", 10_000, 40_000, 10_000, default)).Where(r => r.TenantId == tenant).ToList();

        Assert.Equal(Sorted(expiredPending, expiredRunning), claimed.Select(r => r.InstanceId).Order(StringComparer.Ordinal), StringComparer.Ordinal);
        Assert.All(claimed, r => Assert.Equal((claimer, (long?)40_000), (r.OwnerId, r.LeaseUntilMs)));
        Assert.Empty(again);
        Assert.Equal(dead, (await Store.GetRunAsync(live, default))!.OwnerId);
        Assert.Equal(dead, (await Store.GetRunAsync(suspended, default))!.OwnerId);
        Assert.Equal(dead, (await Store.GetRunAsync(finished, default))!.OwnerId);
        Assert.Equal(claimer, (await Store.GetRunAsync(expiredRunning, default))!.OwnerId);
    }

    [SkippableFact]
    public async Task Runs_from_before_ownership_are_claimed_by_the_environment_that_starts()
    {
        var tenant = Tenant();
        var legacy = Run(tenant, "img", 1) with { Status = RunStatus.Running };
        Assert.True(await Store.TryInsertRunAsync(legacy, default));
        var owner = $"env-{Guid.NewGuid():N}";

        Assert.True(await Store.ClaimUnownedRunsAsync(owner, 30_000, default) >= 1);
        await Store.ClaimUnownedRunsAsync($"env-{Guid.NewGuid():N}", 60_000, default);
        var claimed = await Store.GetRunAsync(legacy.InstanceId, default);

        Assert.Equal((owner, (long?)30_000), (claimed!.OwnerId, claimed.LeaseUntilMs));
    }

    [SkippableFact]
    public async Task Image_content_is_stored_in_chunks_read_back_whole_and_deleted()
    {
        var sha = $"{Tenant()}-content";
        var content = new byte[(SqlEnvironmentStore.ImageChunkSize * 2) + 12345];
        Random.Shared.NextBytes(content);

        Assert.True(await Store.WriteImageContentAsync(sha, new MemoryStream(content), default));
        Assert.False(await Store.WriteImageContentAsync(sha, new MemoryStream(content), default));
        var read = new MemoryStream();
        Assert.True(await Store.CopyImageContentAsync(sha, read, default));
        await Store.DeleteImageContentAsync(sha, default);

        Assert.Equal(content, read.ToArray());
        Assert.False(await Store.CopyImageContentAsync(sha, new MemoryStream(), default));
    }

    private static IEnumerable<string> Sorted(params string[] ids) => ids.Order(StringComparer.Ordinal);

    private async Task<string> OwnedRunAsync(string tenant, string owner, RunStatus status, long leaseUntilMs)
    {
        var run = Run(tenant, "img", 1) with { Status = status, OwnerId = owner, LeaseUntilMs = leaseUntilMs };
        Assert.True(await Store.TryInsertRunAsync(run, default));
        return run.InstanceId;
    }
}

/// <summary>Concurrent claimers on PostgreSQL (FOR UPDATE SKIP LOCKED): never the same run twice.</summary>
public sealed class PostgresClaimRaceTests(PostgresStoreFixture fixture) : IClassFixture<PostgresStoreFixture>
{
    [SkippableFact]
    public async Task Two_concurrent_claimers_never_get_the_same_run()
    {
        Skip.If(fixture.ConnectionString is null, PostgresCluster.SkipReason);
        await using var a = new PostgresEnvironmentStore(fixture.ConnectionString!);
        await using var b = new PostgresEnvironmentStore(fixture.ConnectionString!);
        await a.MigrateAsync(default);
        var claims = new System.Collections.Concurrent.ConcurrentBag<(string Claimer, string InstanceId)>();
        var inserted = new List<string>();
        for (var iteration = 0; iteration < 100; iteration++)
        {
            for (var i = 0; i < 10; i++)
            {
                var id = $"race-{iteration}-{i}-{Guid.NewGuid():N}";
                inserted.Add(id);
                await a.TryInsertRunAsync(new RunRecord
                {
                    InstanceId = id, TenantId = "race", ImageId = "img", ImageName = "img", Status = RunStatus.Running, TimeoutSeconds = 300,
                    OwnerId = "dead", LeaseUntilMs = 5_000,
                }, default);
            }

            // Claimed leases run until far past the claims' "now": a run is claimable once.
            async Task ClaimAllAsync(IEnvironmentStore store, string claimer)
            {
                while ((await store.ClaimExpiredRunsAsync(claimer, 10_000, long.MaxValue / 2, 3, default)) is { Count: > 0 } claimed)
                {
                    foreach (var run in claimed)
                    {
                        claims.Add((claimer, run.InstanceId));
                    }
                }
            }

            await Task.WhenAll(Task.Run(() => ClaimAllAsync(a, "a")), Task.Run(() => ClaimAllAsync(b, "b")));
        }

        var byRun = claims.GroupBy(c => c.InstanceId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(inserted, id => Assert.Single(byRun[id]));
        foreach (var id in inserted)
        {
            Assert.Equal(byRun[id][0].Claimer, (await a.GetRunAsync(id, default))!.OwnerId);
        }
    }
}

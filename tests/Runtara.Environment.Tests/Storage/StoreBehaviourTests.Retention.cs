using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Runtara.Data;
using Runtara.Environment.Hosting;
using Runtara.Environment.Storage;
using Runtara.Environment.Workers;

namespace Runtara.Environment.Tests.Storage;

/// <summary>
/// Retention of runs (docs/operations.md) on SQLite and PostgreSQL with a fake clock: finished runs past
/// their tenant's period are deleted with their run directories; live, suspended and recently finished
/// ones are untouched; batches are bounded; concurrent purgers delete each run once.
/// </summary>
public abstract partial class StoreBehaviourTests
{
    private static readonly DateTimeOffset RetentionNow = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Only <paramref name="tenant"/> has a period (30 days): the store is shared with other tests.</summary>
    private static RetentionOptions RetentionFor(string tenant, int batchSize = 500) =>
        new() { Period = TimeSpan.Zero, BatchSize = batchSize, TenantPeriods = { [tenant] = TimeSpan.FromDays(30) } };

    [SkippableFact]
    public async Task Retention_deletes_old_finished_runs_and_their_directories_and_leaves_live_and_recent_ones()
    {
        var tenant = Tenant();
        var data = Directory.CreateTempSubdirectory("runtara-env-retention-").FullName;
        try
        {
            var old = new List<string>();
            foreach (var status in new[] { RunStatus.Completed, RunStatus.Failed, RunStatus.Cancelled })
            {
                old.Add(await RunAtAsync(tenant, status, finishedDaysAgo: 31, data));
            }

            var kept = new List<string>
            {
                await RunAtAsync(tenant, RunStatus.Pending, finishedDaysAgo: null, data),
                await RunAtAsync(tenant, RunStatus.Running, finishedDaysAgo: null, data),
                await RunAtAsync(tenant, RunStatus.Suspended, finishedDaysAgo: null, data),
                await RunAtAsync(tenant, RunStatus.Completed, finishedDaysAgo: 29, data),
            };
            var clock = new RetentionClock(RetentionNow);
            var worker = Worker(RetentionFor(tenant), data, clock);

            Assert.Equal(3, await worker.PurgeAsync(default));

            foreach (var id in old)
            {
                Assert.Null(await Store.GetRunAsync(id, default));
                Assert.False(Directory.Exists(Path.Combine(data, "runs", tenant, id)));
            }

            foreach (var id in kept)
            {
                Assert.NotNull(await Store.GetRunAsync(id, default));
                Assert.True(File.Exists(Path.Combine(data, "runs", tenant, id, "stdout.log")));
            }

            clock.Now += TimeSpan.FromDays(2);
            Assert.Equal(1, await worker.PurgeAsync(default));
            Assert.Null(await Store.GetRunAsync(kept[3], default));
            Assert.NotNull(await Store.GetRunAsync(kept[2], default));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Retention_batches_are_bounded_and_each_tenant_has_its_own_period()
    {
        var tenant = Tenant();
        var other = Tenant();
        for (var i = 0; i < 5; i++)
        {
            await RunAtAsync(tenant, RunStatus.Completed, finishedDaysAgo: 40 + i, data: null);
        }

        var theirs = await RunAtAsync(other, RunStatus.Completed, finishedDaysAgo: 40, data: null);
        var pass = Assert.Single(RetentionFor(tenant).Passes(RetentionNow));

        var batch = await Store.PurgeFinishedRunsAsync(pass, 2, default);

        Assert.Equal(2, batch.Count);
        Assert.All(batch, run => Assert.Equal(tenant, run.TenantId));
        Assert.Equal(3, (await Store.PurgeFinishedRunsAsync(pass, 10, default)).Count);
        Assert.NotNull(await Store.GetRunAsync(theirs, default));
    }

    [SkippableFact]
    public async Task Concurrent_retention_passes_delete_each_run_once()
    {
        var tenant = Tenant();
        for (var i = 0; i < 30; i++)
        {
            await RunAtAsync(tenant, RunStatus.Completed, finishedDaysAgo: 31 + (i % 5), data: null);
        }

        var pass = Assert.Single(RetentionFor(tenant).Passes(RetentionNow));
        async Task<int> DrainAsync()
        {
            var total = 0;
            while ((await Store.PurgeFinishedRunsAsync(pass, 4, default)) is { Count: > 0 } purged)
            {
                total += purged.Count;
            }

            return total;
        }

        var counts = await Task.WhenAll(DrainAsync(), DrainAsync(), DrainAsync());

        Assert.Equal(30, counts.Sum());
    }

    private RetentionWorker Worker(RetentionOptions retention, string data, TimeProvider clock) =>
        new(Store, new FixedMonitor(retention), Options.Create(new EnvironmentOptions { DataDirectory = data }), clock, NullLogger<RetentionWorker>.Instance);

    private async Task<string> RunAtAsync(string tenant, RunStatus status, int? finishedDaysAgo, string? data)
    {
        var created = RetentionNow.AddDays(-100).ToUnixTimeMilliseconds();
        var run = Run(tenant, "img", created) with
        {
            Status = status,
            StartedAtMs = created,
            FinishedAtMs = finishedDaysAgo is { } days ? RetentionNow.AddDays(-days).ToUnixTimeMilliseconds() : null,
        };
        Assert.True(await Store.TryInsertRunAsync(run, default));
        if (data is not null)
        {
            var directory = Directory.CreateDirectory(Path.Combine(data, "runs", tenant, run.InstanceId, "workspace"));
            await File.WriteAllTextAsync(Path.Combine(directory.Parent!.FullName, "stdout.log"), "log line\n");
        }

        return run.InstanceId;
    }

    private sealed class RetentionClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class FixedMonitor(RetentionOptions value) : IOptionsMonitor<RetentionOptions>
    {
        public RetentionOptions CurrentValue => value;

        public RetentionOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<RetentionOptions, string?> listener) => null;
    }
}

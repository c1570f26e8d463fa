using Runtara.Environment.Metrics;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Tests.Storage;

/// <summary>GetTenantMetrics over the real store (SQLite and PostgreSQL): windows, bucket edges, statistics, errors.</summary>
public abstract partial class StoreBehaviourTests
{
    private const long Hour = 3_600_000;
    private const long Day = 24 * Hour;

    /// <summary>2026-03-10T00:00:00Z.</summary>
    private static readonly long Midnight = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private TenantMetricsService Metrics => new(Store, TimeProvider.System);

    [SkippableFact]
    public async Task Hourly_metrics_count_finished_runs_per_bucket_with_an_inclusive_start_an_exclusive_end_and_empty_buckets()
    {
        var tenant = Tenant();
        await Finished(tenant, RunStatus.Completed, Midnight, startedAt: Midnight - 1000);                                           // exactly at start: counted
        await Finished(tenant, RunStatus.Completed, Midnight + Hour + 600_000, startedAt: Midnight + Hour, memory: 100);
        await Finished(tenant, RunStatus.Failed, Midnight + (2 * Hour) - 1, startedAt: Midnight + Hour + 300_000, memory: 300);      // last ms of the hour
        await Finished(tenant, RunStatus.Cancelled, Midnight + (2 * Hour) + 5, startedAt: null);                                     // no start: no duration
        await Finished(tenant, RunStatus.Completed, Midnight + (3 * Hour), startedAt: Midnight);                                     // exactly at end: not counted
        await Finished(tenant, RunStatus.Completed, Midnight - 1, startedAt: Midnight - 2);                                          // before start: not counted
        await Finished(tenant, RunStatus.Running, Midnight + Hour + 1, startedAt: Midnight);                                         // not terminal: not counted
        await Finished(Tenant(), RunStatus.Completed, Midnight + Hour + 1, startedAt: Midnight);                                     // other tenant

        var metrics = await Metrics.GetAsync(tenant, Midnight, Midnight + (3 * Hour), BucketGranularity.Hourly, default);

        Assert.Equal((tenant, Midnight, Midnight + (3 * Hour), BucketGranularity.Hourly), (metrics.TenantId, metrics.StartMs, metrics.EndMs, metrics.Granularity));
        Assert.Equal([Midnight, Midnight + Hour, Midnight + (2 * Hour), Midnight + (3 * Hour)], metrics.Buckets.Select(b => b.BucketStartMs));
        var (first, second, third, last) = (metrics.Buckets[0], metrics.Buckets[1], metrics.Buckets[2], metrics.Buckets[3]);
        Assert.Equal(new RunMetricsBucket(Midnight, 1, 1, 0, 0, 1000, 1000, 1000, null, null), first);
        Assert.Equal(100, first.SuccessRatePercent);
        Assert.Equal(new RunMetricsBucket(Midnight + Hour, 2, 1, 1, 0, (600_000 + 3_299_999) / 2.0, 600_000, 3_299_999, 200, 300), second);
        Assert.Equal(50, second.SuccessRatePercent);
        Assert.Equal(new RunMetricsBucket(Midnight + (2 * Hour), 1, 0, 0, 1, null, null, null, null, null), third);
        Assert.Equal(0, third.SuccessRatePercent);
        Assert.Equal(new RunMetricsBucket(Midnight + (3 * Hour), 0, 0, 0, 0, null, null, null, null, null), last);
        Assert.Null(last.SuccessRatePercent);
    }

    [SkippableFact]
    public async Task Daily_metrics_truncate_to_utc_days_but_filter_by_the_exact_window()
    {
        var tenant = Tenant();
        await Finished(tenant, RunStatus.Completed, Midnight + (4 * Hour), startedAt: Midnight);                 // same day, before start
        await Finished(tenant, RunStatus.Completed, Midnight + (6 * Hour), startedAt: Midnight + (5 * Hour), memory: 10);
        await Finished(tenant, RunStatus.Failed, Midnight + Day + Hour, startedAt: Midnight + Day, memory: 30);
        await Finished(tenant, RunStatus.Failed, Midnight + Day + (3 * Hour), startedAt: Midnight + Day);        // same day, after end

        var metrics = await Metrics.GetAsync(tenant, Midnight + (5 * Hour), Midnight + Day + (2 * Hour), BucketGranularity.Daily, default);

        Assert.Equal((Midnight + (5 * Hour), Midnight + Day + (2 * Hour)), (metrics.StartMs, metrics.EndMs));
        Assert.Equal(
            [new RunMetricsBucket(Midnight, 1, 1, 0, 0, Hour, Hour, Hour, 10, 10), new RunMetricsBucket(Midnight + Day, 1, 0, 1, 0, Hour, Hour, Hour, 30, 30)],
            metrics.Buckets);
    }

    [SkippableFact]
    public async Task Metrics_default_to_the_last_24_hours_and_a_tenant_without_runs_gets_empty_buckets()
    {
        var tenant = Tenant();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var defaulted = await Metrics.GetAsync(tenant, null, null, BucketGranularity.Hourly, default);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var fromEnd = await Metrics.GetAsync(tenant, null, Midnight + (30 * 60_000), BucketGranularity.Hourly, default);

        Assert.InRange(defaulted.EndMs, before, after);
        Assert.Equal(defaulted.EndMs - Day, defaulted.StartMs);
        Assert.Equal(Midnight + (30 * 60_000) - Day, fromEnd.StartMs);
        Assert.Equal(25, fromEnd.Buckets.Count);
        Assert.All(fromEnd.Buckets, b => Assert.Equal((0L, (double?)null, (long?)null, (double?)null), (b.Invocations, b.AvgDurationMs, b.MaxMemoryBytes, b.SuccessRatePercent)));
    }

    [SkippableFact]
    public async Task Metrics_refuse_a_missing_tenant_a_reversed_window_and_too_many_buckets()
    {
        var service = Metrics;

        var noTenant = await Assert.ThrowsAsync<InvalidArgumentException>(() => service.GetAsync(string.Empty, null, null, BucketGranularity.Hourly, default));
        var reversed = await Assert.ThrowsAsync<InvalidArgumentException>(() => service.GetAsync("t", Midnight + 1, Midnight, BucketGranularity.Hourly, default));
        var negative = await Assert.ThrowsAsync<InvalidArgumentException>(() => service.GetAsync("t", -1, Midnight, BucketGranularity.Hourly, default));
        var tooMany = await Assert.ThrowsAsync<InvalidArgumentException>(() => service.GetAsync("t", Midnight - (500 * Day), Midnight, BucketGranularity.Hourly, default));
        var daily = await service.GetAsync("t", Midnight - (500 * Day), Midnight, BucketGranularity.Daily, default);

        Assert.Equal(("INVALID_ARGUMENT", "Invalid request: tenant_id is required"), (noTenant.Code, noTenant.Message));
        Assert.Contains("is after end_time_ms", reversed.Message, StringComparison.Ordinal);
        Assert.Contains("must be between 0 and", negative.Message, StringComparison.Ordinal);
        Assert.Contains("12001 hourly buckets; at most 10000", tooMany.Message, StringComparison.Ordinal);
        Assert.Equal(501, daily.Buckets.Count);
    }

    private async Task Finished(string tenant, RunStatus status, long finishedAt, long? startedAt, long? memory = null)
    {
        var run = Run(tenant, "img", Math.Min(finishedAt, startedAt ?? finishedAt) - 10);
        Assert.True(await Store.TryInsertRunAsync(run with { Status = status, StartedAtMs = startedAt, FinishedAtMs = finishedAt, MemoryPeakBytes = memory }, default));
    }
}

using Runtara.Environment.Storage;

namespace Runtara.Environment.Metrics;

/// <summary>Bucket width of GetTenantMetrics (UTC hours or days).</summary>
public enum BucketGranularity
{
    Hourly,
    Daily,
}

/// <summary>A GetTenantMetrics answer: the effective window and one bucket per hour/day from truncate(start) to truncate(end) inclusive.</summary>
public sealed record TenantMetrics(string TenantId, long StartMs, long EndMs, BucketGranularity Granularity, IReadOnlyList<RunMetricsBucket> Buckets);

/// <summary>
/// GetTenantMetrics (SPEC §6.4.16): resolves the window (end defaults to now, start to end − 24 h), asks the
/// store for the non-empty buckets and fills the gaps with empty ones so every bucket of the window is present.
/// </summary>
public sealed class TenantMetricsService(IEnvironmentStore store, TimeProvider time)
{
    /// <summary>Most buckets one request may ask for: a leap year of hours (8 784) fits, daily covers decades.</summary>
    public const int MaxBuckets = 10_000;

    /// <summary>Latest accepted time: 9999-12-31T23:59:59.999Z, the end of <see cref="DateTimeOffset"/>.</summary>
    private static readonly long MaxTimeMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private static readonly long DefaultWindowMs = (long)TimeSpan.FromHours(24).TotalMilliseconds;

    public static long BucketWidthMs(BucketGranularity granularity) =>
        (long)(granularity == BucketGranularity.Daily ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1)).TotalMilliseconds;

    public async Task<TenantMetrics> GetAsync(string tenantId, long? startMs, long? endMs, BucketGranularity granularity, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(tenantId, "tenant_id");
        var end = endMs ?? time.GetUtcNow().ToUnixTimeMilliseconds();
        CheckTime(end, "end_time_ms");
        var start = startMs ?? Math.Max(0, end - DefaultWindowMs);
        CheckTime(start, "start_time_ms");
        if (start > end)
        {
            throw new InvalidArgumentException("start_time_ms", $"({start}) is after end_time_ms ({end})");
        }

        var width = BucketWidthMs(granularity);
        var first = start - (start % width);
        var count = ((end - (end % width)) - first) / width + 1;
        if (count > MaxBuckets)
        {
            throw new InvalidArgumentException("start_time_ms",
                $"to end_time_ms spans {count} {granularity.ToString().ToLowerInvariant()} buckets; at most {MaxBuckets} per request (shorten the range or use daily granularity)");
        }

        var found = (await store.AggregateFinishedRunsAsync(tenantId, start, end, width, cancellationToken).ConfigureAwait(false))
            .ToDictionary(b => b.BucketStartMs);
        var buckets = new RunMetricsBucket[count];
        for (var i = 0; i < count; i++)
        {
            var at = first + (i * width);
            buckets[i] = found.GetValueOrDefault(at) ?? new RunMetricsBucket(at, 0, 0, 0, 0, null, null, null, null, null);
        }

        return new TenantMetrics(tenantId, start, end, granularity, buckets);
    }

    private static void CheckTime(long value, string field)
    {
        if (value < 0 || value > MaxTimeMs)
        {
            throw new InvalidArgumentException(field, $"must be between 0 and {MaxTimeMs} (Unix milliseconds), got {value}");
        }
    }
}

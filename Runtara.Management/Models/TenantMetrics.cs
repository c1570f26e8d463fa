namespace Runtara.Management;

/// <summary>The effective window and every bucket from the start's hour/day to the end's, empty ones included.</summary>
public sealed record TenantMetrics(string TenantId, DateTimeOffset Start, DateTimeOffset End, MetricsGranularity Granularity, IReadOnlyList<MetricsBucketInfo> Buckets);

namespace Runtara.Management;

/// <summary>
/// Instances of the tenant that finished (completed, failed or cancelled) in one hour or day. Durations are in
/// seconds (as the original SDK reported them); statistics are null when no instance in the bucket has them.
/// </summary>
public sealed record MetricsBucketInfo(
    DateTimeOffset BucketStart,
    long InvocationCount,
    long SuccessCount,
    long FailureCount,
    long CancelledCount,
    double? AvgDurationSeconds,
    double? MinDurationSeconds,
    double? MaxDurationSeconds,
    long? AvgMemoryBytes,
    long? MaxMemoryBytes,
    double? SuccessRatePercent);

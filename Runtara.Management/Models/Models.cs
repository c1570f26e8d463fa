using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Management;

/// <summary>Instance status (SPEC §7); serialised lower-case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InstanceStatus>))]
public enum InstanceStatus
{
    Unknown,
    Pending,
    Running,
    Suspended,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>Instance-wide signals (SPEC §9.1).</summary>
public enum SignalKind
{
    Cancel,
    Pause,
    Resume,
}

/// <summary>Orderings of <see cref="ListInstancesOptions"/>.</summary>
public enum InstanceOrder
{
    CreatedAtDesc,
    CreatedAtAsc,
    FinishedAtDesc,
    FinishedAtAsc,
}

/// <summary>Bucket width of <see cref="RuntaraManagementClient.GetTenantMetricsAsync"/> (UTC hours or days).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MetricsGranularity>))]
public enum MetricsGranularity
{
    Hourly,
    Daily,
}

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

/// <summary>The effective window and every bucket from the start's hour/day to the end's, empty ones included.</summary>
public sealed record TenantMetrics(string TenantId, DateTimeOffset Start, DateTimeOffset End, MetricsGranularity Granularity, IReadOnlyList<MetricsBucketInfo> Buckets);

public sealed record HealthInfo(bool Healthy, string Version, long UptimeMs, uint ActiveInstances);

public sealed record ImageInfo(
    string ImageId,
    string TenantId,
    string Name,
    string? Description,
    string RunnerType,
    string Sha256,
    long SizeBytes,
    string Format,
    string Entrypoint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt);

public sealed record ImageList(IReadOnlyList<ImageInfo> Images, long TotalCount);

public sealed record InstanceInfo
{
    public required string InstanceId { get; init; }

    public required string TenantId { get; init; }

    public InstanceStatus Status { get; init; }

    public string ImageId { get; init; } = string.Empty;

    public string ImageName { get; init; } = string.Empty;

    public string? CheckpointId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The output JSON (absent when none or not JSON).</summary>
    public JsonElement? Output { get; init; }

    public string? Error { get; init; }

    public JsonElement? Input { get; init; }

    public DateTimeOffset? LastActivityAt { get; init; }

    public DateTimeOffset? WakeAt { get; init; }

    public int RetryCount { get; init; }

    public int MaxRetries { get; init; }

    public int LaunchCount { get; init; }

    public long? MemoryPeakBytes { get; init; }

    public long? CpuUsageUsec { get; init; }

    public int? ExitCode { get; init; }

    public int? Pid { get; init; }

    public string? Stderr { get; init; }

    [JsonIgnore]
    public bool IsTerminal => Status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;
}

public sealed record InstanceSummaryInfo(
    string InstanceId,
    string TenantId,
    string ImageId,
    InstanceStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool HasError);

public sealed record InstanceList(IReadOnlyList<InstanceSummaryInfo> Instances, long TotalCount);

public sealed record CheckpointInfo(string CheckpointId, string InstanceId, DateTimeOffset CreatedAt, long SizeBytes);

public sealed record CheckpointList(IReadOnlyList<CheckpointInfo> Checkpoints, long TotalCount, int Limit, int Offset);

public sealed record CheckpointData(string CheckpointId, string InstanceId, DateTimeOffset CreatedAt, byte[] Data);

public sealed record EventInfo(long Id, string InstanceId, string EventType, string? Subtype, string? CheckpointId, DateTimeOffset CreatedAt, byte[]? Payload);

public sealed record EventList(IReadOnlyList<EventInfo> Events, long TotalCount, int Limit, int Offset);

/// <summary>One recorded retry of a durable step: <see cref="CheckpointId"/> is the step's key.</summary>
public sealed record RetryAttemptInfo(string InstanceId, string CheckpointId, int AttemptNumber, string? ErrorMessage, DateTimeOffset CreatedAt);

public sealed record RetryAttemptList(IReadOnlyList<RetryAttemptInfo> Attempts, long TotalCount, int Limit, int Offset);

/// <summary>What to register; content comes separately as a stream.</summary>
public sealed class RegisterImageOptions
{
    public string? TenantId { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary>Path inside a zip image to launch (a .dll runs with <c>dotnet</c>); stored in the metadata.</summary>
    public string? Entrypoint { get; set; }

    /// <summary>Extra metadata (a JSON object).</summary>
    public JsonElement? Metadata { get; set; }

    /// <summary>Byte count the environment must receive (0 = do not check).</summary>
    public long Size { get; set; }

    /// <summary>Lower-case hex SHA-256 the content must have (null = do not check).</summary>
    public string? Sha256 { get; set; }
}

public sealed class StartInstanceOptions
{
    public required string ImageId { get; set; }

    public string? TenantId { get; set; }

    public string? InstanceId { get; set; }

    /// <summary>JSON input text; null or empty = <c>{}</c>.</summary>
    public string? Input { get; set; }

    public uint? TimeoutSeconds { get; set; }

    public uint? MaxRetries { get; set; }

    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

public sealed class StopInstanceOptions
{
    /// <summary>Time the instance gets to stop cleanly after the cancel signal (SPEC: 5 s).</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    public string Reason { get; set; } = string.Empty;
}

public sealed class ListInstancesOptions
{
    public string? TenantId { get; set; }

    public InstanceStatus? Status { get; set; }

    public string? ImageId { get; set; }

    public string? ImageNamePrefix { get; set; }

    public DateTimeOffset? CreatedAfter { get; set; }

    public DateTimeOffset? CreatedBefore { get; set; }

    public DateTimeOffset? FinishedAfter { get; set; }

    public DateTimeOffset? FinishedBefore { get; set; }

    public InstanceOrder Order { get; set; } = InstanceOrder.CreatedAtDesc;

    /// <summary>Page size (SPEC default 100).</summary>
    public int Limit { get; set; } = 100;

    public int Offset { get; set; }
}

public sealed class WaitOptions
{
    /// <summary>How often status is polled (SPEC default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Deadline; <see cref="WaitTimeoutException"/> after it (the original waited forever, SPEC §19.18).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Also return when the instance is SUSPENDED (paused or sleeping).</summary>
    public bool ReturnWhenSuspended { get; set; }
}

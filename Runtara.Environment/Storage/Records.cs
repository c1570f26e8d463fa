using Runtara.Protocol.Management;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;

namespace Runtara.Environment.Storage;

/// <summary>How an instance run stands as the environment last saw it (lower-case in storage, SPEC conventions).</summary>
public enum RunStatus
{
    Pending,
    Running,
    Suspended,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>A registered image: metadata in the database, content under <c>&lt;data&gt;/images</c> by SHA-256.</summary>
public sealed record ImageRecord(
    string ImageId,
    string TenantId,
    string Name,
    string? Description,
    string RunnerType,
    string Format,
    string Entrypoint,
    string Sha256,
    long SizeBytes,
    string? Metadata,
    long CreatedAtMs,
    long UpdatedAtMs)
{
    /// <summary>
    /// The version this record describes: 1 for a name's first content, one more for each registration
    /// of the name with different content (<see cref="Sha256"/>, entrypoint, runner or metadata).
    /// </summary>
    public int Version { get; init; } = 1;
}

/// <summary>
/// One instance as the environment tracks it: which image, how it was launched, the current (or last)
/// process, and what the runner measured. The core stays authoritative for the durable status.
/// </summary>
public sealed record RunRecord
{
    /// <summary>The W3C traceparent of the instance's start: relaunches and its children join that trace.</summary>
    public string? TraceParent { get; init; }

    public required string InstanceId { get; init; }

    public required string TenantId { get; init; }

    public required string ImageId { get; init; }

    public required string ImageName { get; init; }

    /// <summary>The image version the instance started on: every relaunch (wake, resume, retry) runs it again, never newer code.</summary>
    public int ImageVersion { get; init; } = 1;

    /// <summary>For a re-run or fork, where it came from (e.g. <c>fork of order-7 at step:charge</c>); null otherwise.</summary>
    public string? Origin { get; init; }

    public RunStatus Status { get; init; } = RunStatus.Pending;

    public byte[]? Input { get; init; }

    /// <summary>Extra environment variables of StartInstance as JSON (null when none), replayed on resume and wake.</summary>
    public string? Env { get; init; }

    public int TimeoutSeconds { get; init; }

    public long CreatedAtMs { get; init; }

    public long? StartedAtMs { get; init; }

    public long? FinishedAtMs { get; init; }

    public int? Pid { get; init; }

    /// <summary>Kernel start time of <see cref="Pid"/> (clock ticks since boot) so a reused pid is never mistaken for it.</summary>
    public long? ProcessStartTicks { get; init; }

    public int? ExitCode { get; init; }

    public string? Error { get; init; }

    public string? StderrTail { get; init; }

    public long? MemoryPeakBytes { get; init; }

    public long? CpuUsageUsec { get; init; }

    /// <summary>Retries used so far (0 on the first run).</summary>
    public int RetryCount { get; init; }

    public int MaxRetries { get; init; }

    public int LaunchCount { get; init; }

    public string? CheckpointId { get; init; }

    public long UpdatedAtMs { get; init; }

    /// <summary>The environment that launched the run last (its <c>EnvironmentId</c>); null for runs of a database from before ownership.</summary>
    public string? OwnerId { get; init; }

    /// <summary>Until when (Unix ms) the owner's claim holds while the run is pending or running; renewed by the owner, taken over by another once past.</summary>
    public long? LeaseUntilMs { get; init; }

    public bool IsActive => Status is RunStatus.Pending or RunStatus.Running;

    public bool IsTerminal => RunStatusNames.IsTerminal(Status);
}

/// <summary>Filters of ListInstances (SPEC §6.1).</summary>
public sealed record RunQuery(
    string? TenantId,
    RunStatus? Status,
    string? ImageId,
    string? ImageNamePrefix,
    long? CreatedAfterMs,
    long? CreatedBeforeMs,
    long? FinishedAfterMs,
    long? FinishedBeforeMs,
    RunOrder Order,
    int Limit,
    int Offset);

/// <summary>Orderings of ListInstances.</summary>
public enum RunOrder
{
    CreatedAtDesc,
    CreatedAtAsc,
    FinishedAtDesc,
    FinishedAtAsc,
}

/// <summary>
/// Terminal runs finished in one bucket (bucket start = finished_at truncated to the bucket width). Durations are
/// finished − started in ms over the runs that have both; memory is the runner's peak over the runs that measured it.
/// </summary>
public sealed record RunMetricsBucket(
    long BucketStartMs,
    long Invocations,
    long Completed,
    long Failed,
    long Cancelled,
    double? AvgDurationMs,
    double? MinDurationMs,
    double? MaxDurationMs,
    double? AvgMemoryBytes,
    long? MaxMemoryBytes)
{
    /// <summary>Completed share of the settled runs in percent; null for an empty bucket (no division by zero).</summary>
    public double? SuccessRatePercent => Completed + Failed + Cancelled > 0 ? Completed * 100.0 / (Completed + Failed + Cancelled) : null;
}

/// <summary>One page of a list and the count of all matches.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long TotalCount);

/// <summary>The environment's statuses are the core's (management protocol): stored under the shared names of Runtara.Protocol.</summary>
internal static class RunStatusNames
{
    public static string ToStorage(this RunStatus status) => status.ToCore().ToStorageName();

    public static RunStatus FromStorage(string value) =>
        FromCore(InstanceStatusNames.ParseStorageName(value)) ?? throw new FormatException($"Unknown stored instance status '{value}'.");

    public static CoreStatus ToCore(this RunStatus status) => status switch
    {
        RunStatus.Pending => CoreStatus.StatusPending,
        RunStatus.Running => CoreStatus.StatusRunning,
        RunStatus.Suspended => CoreStatus.StatusSuspended,
        RunStatus.Completed => CoreStatus.StatusCompleted,
        RunStatus.Failed => CoreStatus.StatusFailed,
        RunStatus.Cancelled => CoreStatus.StatusCancelled,
        _ => CoreStatus.StatusUnknown,
    };

    /// <summary>True for the statuses that never change again: COMPLETED, FAILED, CANCELLED.</summary>
    public static bool IsTerminal(RunStatus? status) => status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;

    /// <summary>The core's status as the environment's; UNKNOWN and undefined values are null.</summary>
    public static RunStatus? FromCore(CoreStatus status) => status switch
    {
        CoreStatus.StatusPending => RunStatus.Pending,
        CoreStatus.StatusRunning => RunStatus.Running,
        CoreStatus.StatusSuspended => RunStatus.Suspended,
        CoreStatus.StatusCompleted => RunStatus.Completed,
        CoreStatus.StatusFailed => RunStatus.Failed,
        CoreStatus.StatusCancelled => RunStatus.Cancelled,
        _ => null,
    };
}

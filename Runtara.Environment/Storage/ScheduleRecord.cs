namespace Runtara.Environment.Storage;

/// <summary>What a fire does while the schedule's previous instance is still live.</summary>
public enum ScheduleOverlap
{
    /// <summary>The fire is dropped.</summary>
    Skip,

    /// <summary>One fire waits until the previous instance ends; further ones are dropped.</summary>
    BufferOne,

    /// <summary>Every fire starts an instance.</summary>
    AllowAll,
}

/// <summary>What happens to fires missed while no environment ran (or one was late by more than the grace).</summary>
public enum ScheduleCatchUp
{
    /// <summary>Missed fires are dropped.</summary>
    Skip,

    /// <summary>Missed fires collapse into one: the most recent.</summary>
    RunOnce,

    /// <summary>The most recent <see cref="ScheduleRecord.CatchUpLimit"/> missed fires start, oldest first.</summary>
    RunAll,
}

/// <summary>
/// A schedule: when (a cron expression in a time zone, or a fixed interval), what (an image and its
/// input), its policies, and its persisted progress (next fire, last instance, a buffered fire), so
/// fires survive restarts. Times are Unix milliseconds.
/// </summary>
public sealed record ScheduleRecord
{
    public required string ScheduleId { get; init; }

    public required string TenantId { get; init; }

    public required string ImageId { get; init; }

    /// <summary>Cron expression (5 fields, or 6 with seconds); null for an interval schedule.</summary>
    public string? Cron { get; init; }

    /// <summary>Time zone id of <see cref="Cron"/>; empty = UTC.</summary>
    public string TimeZone { get; init; } = string.Empty;

    /// <summary>Fixed interval in milliseconds; null for a cron schedule.</summary>
    public long? IntervalMs { get; init; }

    public byte[] Input { get; init; } = "{}"u8.ToArray();

    public ScheduleOverlap Overlap { get; init; }

    public ScheduleCatchUp CatchUp { get; init; }

    /// <summary>Most missed fires started by <see cref="ScheduleCatchUp.RunAll"/>.</summary>
    public int CatchUpLimit { get; init; } = 1;

    public bool Paused { get; init; }

    /// <summary>When it fires next; null while paused.</summary>
    public long? NextFireAtMs { get; init; }

    public long? LastFireAtMs { get; init; }

    public string? LastInstanceId { get; init; }

    /// <summary>A fire held back by <see cref="ScheduleOverlap.BufferOne"/> until the last instance ends.</summary>
    public long? BufferedFireAtMs { get; init; }

    public long CreatedAtMs { get; init; }

    public long UpdatedAtMs { get; init; }
}

/// <summary>What one worker pass did with a claimed schedule, written back as it releases the claim.</summary>
public sealed record ScheduleFireOutcome(string ScheduleId, long? NextFireAtMs, long? LastFireAtMs, string? LastInstanceId, long? BufferedFireAtMs, long UpdatedAtMs);

/// <summary>Storage names of the schedule policies (lower-case, as the run statuses).</summary>
internal static class SchedulePolicyNames
{
    public static string ToStorage(this ScheduleOverlap overlap) => overlap switch
    {
        ScheduleOverlap.BufferOne => "buffer_one",
        ScheduleOverlap.AllowAll => "allow_all",
        _ => "skip",
    };

    public static string ToStorage(this ScheduleCatchUp catchUp) => catchUp switch
    {
        ScheduleCatchUp.RunOnce => "run_once",
        ScheduleCatchUp.RunAll => "run_all",
        _ => "skip",
    };

    public static ScheduleOverlap OverlapFromStorage(string value) => value switch
    {
        "buffer_one" => ScheduleOverlap.BufferOne,
        "allow_all" => ScheduleOverlap.AllowAll,
        _ => ScheduleOverlap.Skip,
    };

    public static ScheduleCatchUp CatchUpFromStorage(string value) => value switch
    {
        "run_once" => ScheduleCatchUp.RunOnce,
        "run_all" => ScheduleCatchUp.RunAll,
        _ => ScheduleCatchUp.Skip,
    };
}

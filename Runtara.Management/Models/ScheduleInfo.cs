namespace Runtara.Management;

/// <summary>What a fire does while the schedule's previous instance is still live.</summary>
public enum ScheduleOverlapPolicy
{
    /// <summary>The fire is dropped (the default).</summary>
    Skip,

    /// <summary>One fire waits and starts when the previous instance ends; further ones are dropped.</summary>
    BufferOne,

    /// <summary>Every fire starts an instance.</summary>
    AllowAll,
}

/// <summary>What happens to fires missed while no environment ran.</summary>
public enum ScheduleCatchUpPolicy
{
    /// <summary>Missed fires are dropped (the default).</summary>
    Skip,

    /// <summary>Missed fires collapse into one start, for the most recent.</summary>
    RunOnce,

    /// <summary>The most recent <see cref="CreateScheduleOptions.CatchUpLimit"/> missed fires start, oldest first.</summary>
    RunAll,
}

/// <summary>A schedule and its progress.</summary>
public sealed record ScheduleInfo
{
    /// <summary>The schedule's id.</summary>
    public required string ScheduleId { get; init; }

    /// <summary>The tenant that owns it.</summary>
    public required string TenantId { get; init; }

    /// <summary>The image it starts.</summary>
    public required string ImageId { get; init; }

    /// <summary>The cron expression; null for an interval schedule.</summary>
    public string? Cron { get; init; }

    /// <summary>The cron expression's time zone; empty = UTC.</summary>
    public string TimeZone { get; init; } = string.Empty;

    /// <summary>The interval; null for a cron schedule.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>JSON input of every instance started.</summary>
    public string Input { get; init; } = "{}";

    /// <summary>What a fire does while the previous instance is live.</summary>
    public ScheduleOverlapPolicy Overlap { get; init; }

    /// <summary>What happens to fires missed during downtime.</summary>
    public ScheduleCatchUpPolicy CatchUp { get; init; }

    /// <summary><see cref="ScheduleCatchUpPolicy.RunAll"/>: most missed fires started.</summary>
    public int CatchUpLimit { get; init; }

    /// <summary>True while paused.</summary>
    public bool Paused { get; init; }

    /// <summary>When it fires next; null while paused.</summary>
    public DateTimeOffset? NextFireAt { get; init; }

    /// <summary>The fire time of the last instance started.</summary>
    public DateTimeOffset? LastFireAt { get; init; }

    /// <summary>The instance of the last fire (ids are <c>&lt;schedule&gt;-&lt;yyyyMMddTHHmmssZ&gt;</c>).</summary>
    public string? LastInstanceId { get; init; }

    /// <summary>A fire held back by <see cref="ScheduleOverlapPolicy.BufferOne"/>.</summary>
    public DateTimeOffset? BufferedFireAt { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its definition or progress last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One page of a tenant's schedules, by id.</summary>
/// <param name="Schedules">The schedules on this page.</param>
/// <param name="TotalCount">How many the tenant has.</param>
public sealed record ScheduleList(IReadOnlyList<ScheduleInfo> Schedules, long TotalCount);

/// <summary>What <see cref="RuntaraManagementClient.TriggerScheduleAsync"/> started.</summary>
/// <param name="InstanceId">The instance of the current second (<c>&lt;schedule&gt;-&lt;yyyyMMddTHHmmssZ&gt;</c>).</param>
/// <param name="Created">False when it already existed (a second trigger in the same second).</param>
public sealed record TriggeredSchedule(string InstanceId, bool Created);

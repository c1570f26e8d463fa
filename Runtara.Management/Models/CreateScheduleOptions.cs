namespace Runtara.Management;

/// <summary>
/// A schedule to create (<see cref="RuntaraManagementClient.CreateScheduleAsync"/>); creating an existing id
/// of the tenant replaces its definition and keeps its next fire when the timing is unchanged.
/// </summary>
public sealed class CreateScheduleOptions
{
    /// <summary>The schedule's id (1-111 characters of A-Z, a-z, 0-9, '.', '_', '-'); it prefixes the ids of the instances it starts.</summary>
    public required string ScheduleId { get; set; }

    /// <summary>The image to start: its id, or its name (the tenant's image of that name).</summary>
    public required string Image { get; set; }

    /// <summary>The tenant; default: the client's <see cref="ManagementClientOptions.TenantId"/>.</summary>
    public string? TenantId { get; set; }

    /// <summary>Cron expression: 5 fields, or 6 with seconds first (<c>0 */5 * * * *</c>). Exactly one of this and <see cref="Interval"/>.</summary>
    public string? Cron { get; set; }

    /// <summary>Time zone id of <see cref="Cron"/> (e.g. <c>Europe/Berlin</c>); null = UTC.</summary>
    public string? TimeZone { get; set; }

    /// <summary>A fixed interval (whole seconds, at least one).</summary>
    public TimeSpan? Interval { get; set; }

    /// <summary>JSON input of every instance; null = <c>{}</c>.</summary>
    public string? Input { get; set; }

    /// <summary>While the previous instance is live: skip (default), buffer one, or allow all.</summary>
    public ScheduleOverlapPolicy Overlap { get; set; } = ScheduleOverlapPolicy.Skip;

    /// <summary>Fires missed during downtime: skip (default), run once, or run all up to <see cref="CatchUpLimit"/>.</summary>
    public ScheduleCatchUpPolicy CatchUp { get; set; } = ScheduleCatchUpPolicy.Skip;

    /// <summary><see cref="ScheduleCatchUpPolicy.RunAll"/>: most missed fires started (1-1000).</summary>
    public int CatchUpLimit { get; set; } = 1;

    /// <summary>Create it paused.</summary>
    public bool Paused { get; set; }
}

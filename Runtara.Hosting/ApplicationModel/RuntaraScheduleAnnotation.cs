using Runtara.Management;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A schedule of an image resource (<c>WithSchedule</c>), created in the environment (or replaced, keeping
/// its next fire) each time the image is registered, and shown on the image with its next fire time.
/// </summary>
/// <param name="ScheduleId">The schedule's id in the environment (default: the image's name, numbered after the first).</param>
/// <param name="Cron">Cron expression (5 fields, or 6 with seconds first); null for an interval.</param>
/// <param name="Interval">Fixed interval; null for a cron expression.</param>
/// <param name="TimeZone">Time zone id of the cron expression; null = UTC.</param>
/// <param name="Overlap">What a fire does while the previous instance is live.</param>
/// <param name="CatchUp">What happens to fires missed while the environment was down.</param>
/// <param name="CatchUpLimit"><see cref="ScheduleCatchUpPolicy.RunAll"/>: most missed fires started.</param>
public sealed record RuntaraScheduleAnnotation(
    string ScheduleId,
    string? Cron,
    TimeSpan? Interval,
    string? TimeZone,
    ScheduleOverlapPolicy Overlap,
    ScheduleCatchUpPolicy CatchUp,
    int CatchUpLimit) : IResourceAnnotation
{
    /// <summary>How the dashboard shows when it fires.</summary>
    public string Description => Cron is { } cron ? $"cron {cron}{(TimeZone is { Length: > 0 } zone ? $" ({zone})" : string.Empty)}" : $"every {Interval}";
}

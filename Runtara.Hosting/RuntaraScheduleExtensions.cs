using Aspire.Hosting.ApplicationModel;
using Runtara.Management;

namespace Aspire.Hosting;

/// <summary>
/// Schedules of an image from the AppHost:
/// <code>
/// environment.AddImage&lt;Projects.Nightly_Report&gt;("nightly-report").WithInput("{}").WithSchedule("0 */5 * * * *");
/// </code>
/// Once the image is registered, each schedule is created in the environment (or its definition replaced,
/// keeping the persisted next fire, on later starts); the environment's schedule worker fires it, and the
/// image's resource shows each schedule and the next fire time (<c>runtara.schedule.next-fire</c>).
/// </summary>
public static class RuntaraScheduleExtensions
{
    /// <summary>Starts an instance of the image (with its <c>WithInput</c> input) on a cron expression.</summary>
    /// <param name="image">The image.</param>
    /// <param name="cron">5 fields, or 6 with seconds first (<c>0 */5 * * * *</c> = every 5 minutes).</param>
    /// <param name="timeZone">Time zone id the expression is read in (e.g. <c>Europe/Berlin</c>); null = UTC.</param>
    /// <param name="scheduleId">The schedule's id; default: the image's name (numbered after the first schedule).</param>
    /// <param name="overlap">While the previous instance still runs: skip (default), buffer one, or allow all.</param>
    /// <param name="catchUp">Fires missed while the environment was down: skip (default), run once, or run all up to <paramref name="catchUpLimit"/>.</param>
    /// <param name="catchUpLimit">Most missed fires started by <see cref="ScheduleCatchUpPolicy.RunAll"/>.</param>
    public static IResourceBuilder<RuntaraImageResource> WithSchedule(this IResourceBuilder<RuntaraImageResource> image, string cron, string? timeZone = null, string? scheduleId = null,
        ScheduleOverlapPolicy overlap = ScheduleOverlapPolicy.Skip, ScheduleCatchUpPolicy catchUp = ScheduleCatchUpPolicy.Skip, int catchUpLimit = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cron);
        return Add(image, scheduleId, cron, null, timeZone, overlap, catchUp, catchUpLimit);
    }

    /// <summary>Starts an instance of the image (with its <c>WithInput</c> input) every <paramref name="interval"/> (whole seconds).</summary>
    /// <inheritdoc cref="WithSchedule(IResourceBuilder{RuntaraImageResource}, string, string?, string?, ScheduleOverlapPolicy, ScheduleCatchUpPolicy, int)"/>
    public static IResourceBuilder<RuntaraImageResource> WithSchedule(this IResourceBuilder<RuntaraImageResource> image, TimeSpan interval, string? scheduleId = null,
        ScheduleOverlapPolicy overlap = ScheduleOverlapPolicy.Skip, ScheduleCatchUpPolicy catchUp = ScheduleCatchUpPolicy.Skip, int catchUpLimit = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.FromSeconds(1));
        return Add(image, scheduleId, null, interval, null, overlap, catchUp, catchUpLimit);
    }

    private static IResourceBuilder<RuntaraImageResource> Add(IResourceBuilder<RuntaraImageResource> image, string? scheduleId, string? cron, TimeSpan? interval, string? timeZone,
        ScheduleOverlapPolicy overlap, ScheduleCatchUpPolicy catchUp, int catchUpLimit)
    {
        ArgumentNullException.ThrowIfNull(image);
        var existing = image.Resource.Annotations.OfType<RuntaraScheduleAnnotation>().ToList();
        var id = scheduleId ?? (existing.Count == 0 ? image.Resource.Name : $"{image.Resource.Name}-{existing.Count + 1}");
        if (existing.Any(s => s.ScheduleId == id))
        {
            throw new InvalidOperationException($"The image '{image.Resource.Name}' already has a schedule '{id}'.");
        }

        return image.WithAnnotation(new RuntaraScheduleAnnotation(id, cron, interval, timeZone, overlap, catchUp, catchUpLimit));
    }
}

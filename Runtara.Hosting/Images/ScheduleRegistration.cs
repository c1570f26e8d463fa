using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;
using Runtara.Management;

namespace Aspire.Hosting.Images;

/// <summary>
/// Creates an image's <see cref="RuntaraScheduleAnnotation"/>s in the environment once it is registered, and
/// shows each with its next fire time on the image's resource (refreshed by <see cref="InstanceWatcher"/>).
/// </summary>
internal static class ScheduleRegistration
{
    public const string NextFireProperty = "runtara.schedule.next-fire";
    public const string SchedulePropertyPrefix = "runtara.schedule.";

    /// <summary>Creates (or replaces) every schedule of the image; a failed one is logged and the others still go in.</summary>
    public static async Task RegisterAsync(RuntaraImageResource image, RuntaraManagementClient client, ResourceNotificationService notifications, ILogger logger, CancellationToken cancellationToken)
    {
        var schedules = new List<ScheduleInfo>();
        foreach (var annotation in image.Annotations.OfType<RuntaraScheduleAnnotation>())
        {
            try
            {
                var schedule = await client.CreateScheduleAsync(new CreateScheduleOptions
                {
                    ScheduleId = annotation.ScheduleId,
                    Image = image.ImageId!,
                    Cron = annotation.Cron,
                    Interval = annotation.Interval,
                    TimeZone = annotation.TimeZone,
                    Input = image.Input,
                    Overlap = annotation.Overlap,
                    CatchUp = annotation.CatchUp,
                    CatchUpLimit = annotation.CatchUpLimit,
                }, cancellationToken).ConfigureAwait(false);
                Log.ScheduleRegistered(logger, image.Name, schedule.ScheduleId, annotation.Description, schedule.NextFireAt);
                schedules.Add(schedule);
            }
            catch (ManagementException ex)
            {
                Log.ScheduleFailed(logger, image.Name, annotation.ScheduleId, ex);
            }
        }

        await ShowAsync(image, schedules, notifications).ConfigureAwait(false);
    }

    /// <summary>Reads the image's schedules again (their next fire moves on after each fire) and shows them.</summary>
    public static async Task RefreshAsync(RuntaraImageResource image, RuntaraManagementClient client, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        var schedules = new List<ScheduleInfo>();
        foreach (var annotation in image.Annotations.OfType<RuntaraScheduleAnnotation>())
        {
            try
            {
                schedules.Add(await client.GetScheduleAsync(annotation.ScheduleId, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (ScheduleNotFoundException)
            {
                // Deleted by someone (e.g. the CLI): shown as gone below.
            }
        }

        await ShowAsync(image, schedules, notifications).ConfigureAwait(false);
    }

    /// <summary>One property per schedule (<c>runtara.schedule.&lt;id&gt;</c>: when, state, next fire) and the earliest next fire.</summary>
    internal static Task ShowAsync(RuntaraImageResource image, IReadOnlyList<ScheduleInfo> schedules, ResourceNotificationService notifications)
    {
        var properties = image.Annotations.OfType<RuntaraScheduleAnnotation>()
            .Select(a => (SchedulePropertyPrefix + a.ScheduleId, (string?)Describe(a, schedules.FirstOrDefault(s => s.ScheduleId == a.ScheduleId))))
            .Append((NextFireProperty, schedules.Where(s => s.NextFireAt is not null).Min(s => s.NextFireAt) is { } next ? Time(next) : null))
            .ToArray();
        return notifications.PublishUpdateAsync(image, snapshot => snapshot with { Properties = ImageOperations.With(snapshot.Properties, properties) });
    }

    private static string Describe(RuntaraScheduleAnnotation annotation, ScheduleInfo? schedule) => schedule switch
    {
        null => $"{annotation.Description}, not in the environment",
        { Paused: true } => $"{annotation.Description}, paused",
        _ => $"{annotation.Description}, next {(schedule.NextFireAt is { } next ? Time(next) : "-")}",
    };

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

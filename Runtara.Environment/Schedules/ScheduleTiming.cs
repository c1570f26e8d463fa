using Cronos;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Schedules;

/// <summary>
/// When a schedule fires: a cron expression (Cronos; 5 fields, or 6 with seconds first, read in a time
/// zone so daylight-saving changes behave as Cronos documents) or a fixed interval anchored at whole
/// seconds. Occurrences are Unix milliseconds.
/// </summary>
internal abstract class ScheduleTiming
{
    /// <summary>Shortest interval accepted; instance ids of fires are derived to the second.</summary>
    public const long MinIntervalMs = 1000;

    /// <summary>The first occurrence at or after (<paramref name="inclusive"/>) or strictly after <paramref name="fromMs"/>; null when there is none.</summary>
    public abstract long? Next(long fromMs, bool inclusive);

    /// <summary>The timing of a stored schedule (validated when it was created).</summary>
    public static ScheduleTiming Of(ScheduleRecord schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return Parse(schedule.Cron, schedule.TimeZone, schedule.IntervalMs, schedule.CreatedAtMs);
    }

    /// <summary>Validates and builds a timing; <see cref="InvalidArgumentException"/> names the bad field.</summary>
    /// <param name="cron">A cron expression, or null for an interval.</param>
    /// <param name="timeZone">Time zone id of the cron expression; empty = UTC.</param>
    /// <param name="intervalMs">The interval, or null for a cron expression.</param>
    /// <param name="anchorMs">Interval fires fall on the anchor's second plus whole intervals.</param>
    public static ScheduleTiming Parse(string? cron, string? timeZone, long? intervalMs, long anchorMs)
    {
        if (string.IsNullOrWhiteSpace(cron) == intervalMs is null)
        {
            throw new InvalidArgumentException("cron", "or interval_ms is required, and only one of them");
        }

        if (intervalMs is { } interval)
        {
            if (interval < MinIntervalMs || interval % 1000 != 0)
            {
                throw new InvalidArgumentException("interval_ms", $"must be a whole number of seconds, at least {MinIntervalMs} ms");
            }

            return new Interval(interval, anchorMs - (anchorMs % 1000));
        }

        var expression = cron!.Trim();
        var format = expression.StartsWith('@') || expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 6
            ? CronFormat.Standard
            : CronFormat.IncludeSeconds;
        CronExpression parsed;
        try
        {
            parsed = CronExpression.Parse(expression, format);
        }
        catch (CronFormatException ex)
        {
            throw new InvalidArgumentException("cron", $"'{expression}' is not a cron expression: {ex.Message}");
        }

        TimeZoneInfo zone;
        try
        {
            zone = string.IsNullOrEmpty(timeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new InvalidArgumentException("time_zone", $"'{timeZone}' is not a known time zone");
        }

        return new Cron(parsed, zone);
    }

    private sealed class Cron(CronExpression expression, TimeZoneInfo zone) : ScheduleTiming
    {
        public override long? Next(long fromMs, bool inclusive) =>
            expression.GetNextOccurrence(DateTimeOffset.FromUnixTimeMilliseconds(fromMs).UtcDateTime, zone, inclusive) is { } next
                ? new DateTimeOffset(next, TimeSpan.Zero).ToUnixTimeMilliseconds()
                : null;
    }

    private sealed class Interval(long intervalMs, long anchorMs) : ScheduleTiming
    {
        public override long? Next(long fromMs, bool inclusive)
        {
            if (fromMs < anchorMs)
            {
                return anchorMs + intervalMs;
            }

            // The first anchor + k*interval (k >= 1) at or after fromMs, computed rather than stepped so a long downtime costs nothing.
            var k = Math.Max(1, (fromMs - anchorMs) / intervalMs);
            var candidate = anchorMs + (k * intervalMs);
            while (candidate < fromMs || (!inclusive && candidate == fromMs))
            {
                candidate += intervalMs;
            }

            return candidate;
        }
    }
}

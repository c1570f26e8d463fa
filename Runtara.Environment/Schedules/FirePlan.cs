using Runtara.Environment.Storage;

namespace Runtara.Environment.Schedules;

/// <summary>
/// Which fire times of a due schedule to start now, and when it fires next. A due fire at most
/// <c>grace</c> old is on time and always fires; older ones were missed (the environment was down or
/// late) and the catch-up policy decides: skip them, collapse them into the most recent one, or start
/// the most recent N, oldest first. Overlap is not decided here (it needs the previous instance).
/// </summary>
internal sealed record FirePlan(IReadOnlyList<long> Fires, bool MissedAny, long? NextFireAtMs)
{
    public static FirePlan For(ScheduleRecord schedule, ScheduleTiming timing, long nowMs, long graceMs)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(timing);
        var next = timing.Next(nowMs, inclusive: false);
        if (schedule.NextFireAtMs is not { } first || first > nowMs)
        {
            return new FirePlan([], false, schedule.NextFireAtMs ?? next);
        }

        var onTimeFrom = Math.Max(first, nowMs - graceMs);
        var onTime = Between(timing, onTimeFrom, nowMs, int.MaxValue);
        var missedUntil = onTimeFrom - 1;
        var missedAny = first <= missedUntil;
        var wanted = !missedAny ? 0 : schedule.CatchUp switch
        {
            ScheduleCatchUp.RunOnce => 1,
            ScheduleCatchUp.RunAll => Math.Max(1, schedule.CatchUpLimit),
            _ => 0,
        };

        var fires = new List<long>(wanted + onTime.Count);
        fires.AddRange(MostRecent(timing, first, missedUntil, wanted));
        fires.AddRange(onTime);
        return new FirePlan(fires, missedAny, next);
    }

    /// <summary>Occurrences in [from, to], at most <paramref name="limit"/>, in order.</summary>
    private static List<long> Between(ScheduleTiming timing, long fromMs, long toMs, int limit)
    {
        var result = new List<long>();
        for (var t = timing.Next(fromMs, inclusive: true); t is { } at && at <= toMs && result.Count < limit; t = timing.Next(at, inclusive: false))
        {
            result.Add(at);
        }

        return result;
    }

    /// <summary>
    /// The last <paramref name="count"/> occurrences in [from, to]. Cron cannot be walked backwards, so the
    /// window before <paramref name="toMs"/> doubles until it holds enough (or reaches <paramref name="fromMs"/>):
    /// a long downtime costs about twice the occurrences kept, not every occurrence missed.
    /// </summary>
    private static IEnumerable<long> MostRecent(ScheduleTiming timing, long fromMs, long toMs, int count)
    {
        if (count == 0 || toMs < fromMs)
        {
            return [];
        }

        for (var window = 60_000L; ; window = window > long.MaxValue / 4 ? long.MaxValue / 2 : window * 2)
        {
            var start = Math.Max(fromMs, toMs - window);
            var found = new Queue<long>(count + 1);
            for (var t = timing.Next(start, inclusive: true); t is { } at && at <= toMs; t = timing.Next(at, inclusive: false))
            {
                found.Enqueue(at);
                if (found.Count > count)
                {
                    found.Dequeue();
                }
            }

            if (found.Count == count || start == fromMs)
            {
                return found;
            }
        }
    }
}

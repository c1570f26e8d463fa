using System.Globalization;
using Runtara.Environment.Instances;

namespace Runtara.Environment.Schedules;

/// <summary>
/// Instance ids of scheduled runs: <c>&lt;schedule&gt;-&lt;yyyyMMddTHHmmssZ&gt;</c> of the fire time (UTC), so a fire
/// started twice (a worker that died before recording it, two environments) is the same instance, which
/// StartInstance starts only once.
/// </summary>
internal static class ScheduleInstanceIds
{
    private const string Format = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>Longest schedule id: the derived instance ids must stay within <see cref="Identifiers.MaxLength"/>.</summary>
    public const int MaxScheduleIdLength = Identifiers.MaxLength - 17;

    public static string For(string scheduleId, long fireAtMs) =>
        $"{scheduleId}-{DateTimeOffset.FromUnixTimeMilliseconds(fireAtMs).UtcDateTime.ToString(Format, CultureInfo.InvariantCulture)}";
}

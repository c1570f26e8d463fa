using Google.Protobuf;
using Runtara.Protocol.Environment;

namespace Runtara.Management.Mapping;

/// <summary>Schedule models to and from the environment protocol (the enums share their values with the wire's).</summary>
internal static class ScheduleMapping
{
    public static CreateScheduleRequest ToCreateRequest(CreateScheduleOptions options, string tenantId)
    {
        var request = new CreateScheduleRequest
        {
            TenantId = tenantId,
            ScheduleId = options.ScheduleId,
            ImageId = options.Image,
            TimeZone = options.TimeZone ?? string.Empty,
            Input = string.IsNullOrEmpty(options.Input) ? ByteString.Empty : ByteString.CopyFromUtf8(options.Input),
            Overlap = (Protocol.Environment.ScheduleOverlapPolicy)(int)options.Overlap,
            CatchUp = (Protocol.Environment.ScheduleCatchUpPolicy)(int)options.CatchUp,
            CatchUpLimit = (uint)Math.Max(0, options.CatchUpLimit),
            Paused = options.Paused,
        };
        if (!string.IsNullOrWhiteSpace(options.Cron))
        {
            request.Cron = options.Cron;
        }

        if (options.Interval is { } interval)
        {
            request.IntervalMs = (long)interval.TotalMilliseconds;
        }

        return request;
    }

    public static ScheduleInfo ToSchedule(Schedule s) => new()
    {
        ScheduleId = s.ScheduleId,
        TenantId = s.TenantId,
        ImageId = s.ImageId,
        Cron = s.HasCron ? s.Cron : null,
        TimeZone = s.TimeZone,
        Interval = s.HasIntervalMs ? TimeSpan.FromMilliseconds(s.IntervalMs) : null,
        Input = s.Input.IsEmpty ? "{}" : s.Input.ToStringUtf8(),
        Overlap = (ScheduleOverlapPolicy)(int)s.Overlap,
        CatchUp = (ScheduleCatchUpPolicy)(int)s.CatchUp,
        CatchUpLimit = (int)s.CatchUpLimit,
        Paused = s.Paused,
        NextFireAt = s.HasNextFireAtMs ? DateTimeOffset.FromUnixTimeMilliseconds(s.NextFireAtMs) : null,
        LastFireAt = s.HasLastFireAtMs ? DateTimeOffset.FromUnixTimeMilliseconds(s.LastFireAtMs) : null,
        LastInstanceId = s.HasLastInstanceId ? s.LastInstanceId : null,
        BufferedFireAt = s.HasBufferedFireAtMs ? DateTimeOffset.FromUnixTimeMilliseconds(s.BufferedFireAtMs) : null,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(s.CreatedAtMs),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(s.UpdatedAtMs),
    };

    public static ScheduleList ToScheduleList(ListSchedulesResponse response) => new([.. response.Schedules.Select(ToSchedule)], response.TotalCount);
}

using Google.Protobuf;
using Runtara.Environment.Schedules;
using Runtara.Environment.Storage;
using Runtara.Protocol.Environment;

namespace Runtara.Environment.Rpc;

/// <summary>The schedule RPCs (docs/protocol.md "Schedules"): wire messages to <see cref="ScheduleService"/> and back.</summary>
internal sealed partial class EnvironmentRpcHandler
{
    private async Task<ScheduleResponse> CreateScheduleAsync(CreateScheduleRequest request, CancellationToken cancellationToken)
    {
        var (schedule, created) = await schedules.CreateAsync(new ScheduleDefinition(
            request.TenantId, request.ScheduleId, request.ImageId, request.HasCron ? request.Cron : null, request.TimeZone,
            request.HasIntervalMs ? request.IntervalMs : null, request.Input.Memory, (ScheduleOverlap)(int)request.Overlap,
            (ScheduleCatchUp)(int)request.CatchUp, (int)Math.Min(request.CatchUpLimit, int.MaxValue), request.Paused), cancellationToken).ConfigureAwait(false);
        var reply = Reply(schedule);
        reply.Created = created;
        return reply;
    }

    private async Task<ListSchedulesResponse> ListSchedulesAsync(ListSchedulesRequest request, CancellationToken cancellationToken)
    {
        var page = await schedules.ListAsync(request.TenantId, Limit(request.Limit), (int)Math.Min(request.Offset, int.MaxValue), cancellationToken).ConfigureAwait(false);
        var response = new ListSchedulesResponse { TotalCount = (uint)Math.Min(page.TotalCount, uint.MaxValue) };
        response.Schedules.AddRange(page.Items.Select(ToSchedule));
        return response;
    }

    private async Task<TriggerScheduleResponse> TriggerScheduleAsync(TriggerScheduleRequest request, CancellationToken cancellationToken)
    {
        var (instanceId, created) = await schedules.TriggerAsync(request.ScheduleId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return new TriggerScheduleResponse { InstanceId = instanceId, Created = created };
    }

    private async Task<DeleteScheduleResponse> DeleteScheduleAsync(DeleteScheduleRequest request, CancellationToken cancellationToken)
    {
        await schedules.DeleteAsync(request.ScheduleId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return new DeleteScheduleResponse();
    }

    private static ScheduleResponse Reply(ScheduleRecord schedule) => new() { Schedule = ToSchedule(schedule) };

    // The enums' wire values are the storage enums' values (OVERLAP_SKIP = 0 = ScheduleOverlap.Skip, ...).
    private static Schedule ToSchedule(ScheduleRecord s)
    {
        var schedule = new Schedule
        {
            ScheduleId = s.ScheduleId,
            TenantId = s.TenantId,
            ImageId = s.ImageId,
            TimeZone = s.TimeZone,
            Input = ByteString.CopyFrom(s.Input),
            Overlap = (ScheduleOverlapPolicy)(int)s.Overlap,
            CatchUp = (ScheduleCatchUpPolicy)(int)s.CatchUp,
            CatchUpLimit = (uint)s.CatchUpLimit,
            Paused = s.Paused,
            CreatedAtMs = s.CreatedAtMs,
            UpdatedAtMs = s.UpdatedAtMs,
        };
        if (s.Cron is { } cron)
        {
            schedule.Cron = cron;
        }

        if (s.IntervalMs is { } interval)
        {
            schedule.IntervalMs = interval;
        }

        if (s.NextFireAtMs is { } next)
        {
            schedule.NextFireAtMs = next;
        }

        if (s.LastFireAtMs is { } last)
        {
            schedule.LastFireAtMs = last;
        }

        if (s.LastInstanceId is { } instance)
        {
            schedule.LastInstanceId = instance;
        }

        if (s.BufferedFireAtMs is { } buffered)
        {
            schedule.BufferedFireAtMs = buffered;
        }

        return schedule;
    }
}

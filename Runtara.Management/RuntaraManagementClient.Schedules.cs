using Runtara.Management.Mapping;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;

namespace Runtara.Management;

/// <summary>Schedules (docs/operations.md "Schedules"): cron or interval starts of an image, scoped to a tenant.</summary>
public sealed partial class RuntaraManagementClient
{
    /// <summary>Creates a schedule, or replaces the tenant's schedule of that id (its next fire is kept when the timing is unchanged).</summary>
    /// <exception cref="ImageNotFoundException">The tenant has no such image.</exception>
    /// <exception cref="ScheduleAlreadyExistsException">Another tenant uses the schedule id.</exception>
    /// <exception cref="ValidationException">A bad cron expression, time zone, interval, input or id.</exception>
    public async Task<ScheduleInfo> CreateScheduleAsync(CreateScheduleOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var request = ScheduleMapping.ToCreateRequest(options, Tenant(options.TenantId));
        var response = await CallScheduleAsync(new RpcRequest { CreateSchedule = request }, options.ScheduleId, cancellationToken).ConfigureAwait(false);
        return ScheduleMapping.ToSchedule(response.CreateSchedule.Schedule);
    }

    /// <summary>A schedule with its next fire time.</summary>
    /// <exception cref="ScheduleNotFoundException">The tenant has no such schedule.</exception>
    public async Task<ScheduleInfo> GetScheduleAsync(string scheduleId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheduleId);
        var request = new RpcRequest { GetSchedule = new GetScheduleRequest { ScheduleId = scheduleId, TenantId = Tenant(tenantId) } };
        return ScheduleMapping.ToSchedule((await CallScheduleAsync(request, scheduleId, cancellationToken).ConfigureAwait(false)).GetSchedule.Schedule);
    }

    /// <summary>One page of the tenant's schedules (by id), each with its next fire time.</summary>
    public async Task<ScheduleList> ListSchedulesAsync(string? tenantId = null, int limit = 100, int offset = 0, CancellationToken cancellationToken = default)
    {
        var request = new RpcRequest { ListSchedules = new ListSchedulesRequest { TenantId = Tenant(tenantId), Limit = (uint)Math.Max(0, limit), Offset = (uint)Math.Max(0, offset) } };
        return ScheduleMapping.ToScheduleList((await CallScheduleAsync(request, null, cancellationToken).ConfigureAwait(false)).ListSchedules);
    }

    /// <summary>Stops the schedule firing (idempotent).</summary>
    /// <exception cref="ScheduleNotFoundException">The tenant has no such schedule.</exception>
    public async Task<ScheduleInfo> PauseScheduleAsync(string scheduleId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheduleId);
        var request = new RpcRequest { PauseSchedule = new PauseScheduleRequest { ScheduleId = scheduleId, TenantId = Tenant(tenantId) } };
        return ScheduleMapping.ToSchedule((await CallScheduleAsync(request, scheduleId, cancellationToken).ConfigureAwait(false)).PauseSchedule.Schedule);
    }

    /// <summary>Fires again from the first fire time after now; the paused time is not caught up (idempotent).</summary>
    /// <exception cref="ScheduleNotFoundException">The tenant has no such schedule.</exception>
    public async Task<ScheduleInfo> UnpauseScheduleAsync(string scheduleId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheduleId);
        var request = new RpcRequest { UnpauseSchedule = new UnpauseScheduleRequest { ScheduleId = scheduleId, TenantId = Tenant(tenantId) } };
        return ScheduleMapping.ToSchedule((await CallScheduleAsync(request, scheduleId, cancellationToken).ConfigureAwait(false)).UnpauseSchedule.Schedule);
    }

    /// <summary>Starts the schedule's instance now, paused or not and whatever its overlap policy; twice in one second is one instance.</summary>
    /// <exception cref="ScheduleNotFoundException">The tenant has no such schedule.</exception>
    public async Task<TriggeredSchedule> TriggerScheduleAsync(string scheduleId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheduleId);
        var request = new RpcRequest { TriggerSchedule = new TriggerScheduleRequest { ScheduleId = scheduleId, TenantId = Tenant(tenantId) } };
        var response = (await CallScheduleAsync(request, scheduleId, cancellationToken).ConfigureAwait(false)).TriggerSchedule;
        return new TriggeredSchedule(response.InstanceId, response.Created);
    }

    /// <summary>Deletes the schedule; instances it started are kept.</summary>
    /// <exception cref="ScheduleNotFoundException">The tenant has no such schedule.</exception>
    public async Task DeleteScheduleAsync(string scheduleId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheduleId);
        var request = new RpcRequest { DeleteSchedule = new DeleteScheduleRequest { ScheduleId = scheduleId, TenantId = Tenant(tenantId) } };
        await CallScheduleAsync(request, scheduleId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RpcResponse> CallScheduleAsync(RpcRequest request, string? scheduleId, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CallAsync(request, null, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw ManagementException.FromError(ex.Code, ex.Message, ex, scheduleId: scheduleId);
        }
    }
}

using Runtara.Environment.Instances;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Schedules;

/// <summary>What schedules need of instances: start the one of a fire, and know whether the previous one still runs.</summary>
internal interface IScheduleInstances
{
    /// <summary>Starts (idempotently) the instance of <paramref name="schedule"/>'s fire at <paramref name="fireAtMs"/>.</summary>
    Task<(string InstanceId, bool Created)> StartAsync(ScheduleRecord schedule, long fireAtMs, CancellationToken cancellationToken);

    /// <summary>True while the instance is pending, running or suspended (asleep or waiting counts as live).</summary>
    Task<bool> IsLiveAsync(string instanceId, CancellationToken cancellationToken);
}

/// <summary>Starts fires through <see cref="InstanceService"/> (quota, image and tenant checks included) and reads liveness from the runs.</summary>
internal sealed class ScheduleInstances(InstanceService instances, IEnvironmentStore store) : IScheduleInstances
{
    private static readonly Dictionary<string, string> NoEnv = new(StringComparer.Ordinal);

    public Task<(string InstanceId, bool Created)> StartAsync(ScheduleRecord schedule, long fireAtMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return instances.StartAsync(
            new StartRequest(schedule.ImageId, schedule.TenantId, ScheduleInstanceIds.For(schedule.ScheduleId, fireAtMs), schedule.Input, null, NoEnv, null),
            cancellationToken);
    }

    public async Task<bool> IsLiveAsync(string instanceId, CancellationToken cancellationToken) =>
        await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false) is { Status: RunStatus.Pending or RunStatus.Running or RunStatus.Suspended };
}

using Runtara.Protocol.Management;

namespace Runtara.Environment.Core;

/// <summary>
/// What the environment asks of the core, over the management protocol only (the environment never
/// reads the core's tables). Failures are typed: unknown instances throw <see cref="InstanceNotFoundException"/>,
/// an unreachable core <see cref="CoreUnavailableException"/>.
/// </summary>
public interface ICoreClient
{
    Task<HealthCheckResponse> HealthAsync(CancellationToken cancellationToken);

    /// <summary>Pre-creates the PENDING instance before its process is launched (idempotent for the same tenant).</summary>
    Task<CreateInstanceResponse> CreateInstanceAsync(string instanceId, string tenantId, CancellationToken cancellationToken);

    /// <summary>The instance's durable status; null when the core does not know it.</summary>
    Task<GetInstanceStatusResponse?> GetStatusAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Guarded terminal update; returns whether it applied and the status after the call.</summary>
    Task<FinishInstanceResponse> FinishAsync(string instanceId, InstanceStatus status, string? error, byte[]? output, InstanceStatus? expected, CancellationToken cancellationToken);

    /// <summary>SUSPENDED instances whose wake-up time passed, leased for <paramref name="lease"/>.</summary>
    /// <summary>Due wake-ups and child starts, leased; with <paramref name="wait"/> a long poll that answers once something is due.</summary>
    Task<ListDueWakeupsResponse> ListDueWakeupsAsync(int limit, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Instances in <paramref name="status"/> with no activity since <paramref name="activityBeforeMs"/>.</summary>
    Task<IReadOnlyList<InstanceSummary>> ListSilentInstancesAsync(InstanceStatus status, long activityBeforeMs, int limit, CancellationToken cancellationToken);

    Task SendSignalAsync(string instanceId, SignalType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    Task SendCustomSignalAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    Task<ListCheckpointsResponse> ListCheckpointsAsync(ListCheckpointsRequest request, CancellationToken cancellationToken);

    Task<GetCheckpointResponse> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    Task<ListEventsResponse> ListEventsAsync(ListEventsRequest request, CancellationToken cancellationToken);

    Task<ListRetryAttemptsResponse> ListRetryAttemptsAsync(ListRetryAttemptsRequest request, CancellationToken cancellationToken);

    /// <summary>Copies the source's checkpoints (up to one, or all) into a new PENDING instance of the same tenant, atomically.</summary>
    Task<CopyCheckpointsResponse> CopyCheckpointsAsync(string sourceId, string targetId, string tenantId, string? upToCheckpointId, CancellationToken cancellationToken);
    /// <summary>Deletes a finished instance of <paramref name="tenantId"/> with all the core's data of it (retention).</summary>
    Task DeleteInstanceAsync(string instanceId, string tenantId, CancellationToken cancellationToken);
}

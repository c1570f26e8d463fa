using Microsoft.Extensions.Logging;
using Runtara.Data;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Storage;

namespace Runtara.Engine.Instances;

/// <summary>
/// Deletes finished instances with everything the core stores of them (checkpoints, events, signals,
/// sleeps, retry attempts, child links: ON DELETE CASCADE): those past their tenant's retention period,
/// a bounded batch per transaction, and single ones on request (docs/operations.md "Retention").
/// An instance whose parent or one of whose children is still pending, running or suspended is kept.
/// </summary>
public sealed class RetentionService(ICoreStore store, TimeProvider time, ILogger<RetentionService> logger)
{
    private static readonly InstanceStatus[] Finished = [InstanceStatus.Completed, InstanceStatus.Failed, InstanceStatus.Cancelled];

    /// <summary>
    /// One retention cycle: each pass of <paramref name="options"/> deletes batches of at most
    /// <see cref="RetentionOptions.BatchSize"/> instances, one transaction each, until a batch comes back
    /// short. Returns how many instances were deleted (by this core: on PostgreSQL concurrent cores
    /// claim disjoint rows).
    /// </summary>
    public async Task<long> PurgeAsync(RetentionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        long total = 0;
        foreach (var pass in options.Passes(time.GetUtcNow()))
        {
            while (true)
            {
                var purged = await store.WriteAsync(
                    "purge finished instances",
                    (writer, token) => writer.PurgeFinishedInstancesAsync(pass, options.BatchSize, token),
                    cancellationToken).ConfigureAwait(false);
                if (purged.Count > 0)
                {
                    EngineTelemetry.PurgedInstances.Add(purged.Count);
                    Log.InstancesPurged(logger, purged.Count, pass.TenantId ?? "*");
                    total += purged.Count;
                }

                if (purged.Count < options.BatchSize)
                {
                    break;
                }
            }
        }

        return total;
    }

    /// <summary>
    /// Deletes one finished instance now. Unknown, or of another tenant than <paramref name="tenantId"/>
    /// (when given): <see cref="InstanceNotFoundException"/>. Pending, running or suspended, or with a
    /// live parent or child: <see cref="InvalidInstanceStateException"/>.
    /// </summary>
    public async Task DeleteAsync(string instanceId, string? tenantId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        await store.WriteAsync<bool>("delete instance", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false);
            if (instance is null || (!string.IsNullOrEmpty(tenantId) && !string.Equals(instance.TenantId, tenantId, StringComparison.Ordinal)))
            {
                throw new InstanceNotFoundException(instanceId);
            }

            if (!instance.Status.IsTerminal())
            {
                throw new InvalidInstanceStateException(instanceId, "delete", instance.Status, Finished);
            }

            if (await writer.HasLiveRelativeAsync(instanceId, token).ConfigureAwait(false))
            {
                throw new InvalidInstanceStateException(instanceId, "delete while its parent or a child is live", instance.Status, Finished);
            }

            await writer.DeleteInstanceAsync(instanceId, token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

        // Counted once committed.
        EngineTelemetry.PurgedInstances.Add(1);
        Log.InstanceDeleted(logger, instanceId);
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Core;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Storage;
using Runtara.Environment.Workers;

namespace Runtara.Environment.Instances;

/// <summary>
/// <c>runtara instances delete &lt;id&gt;</c> (environment RPC DeleteInstance, docs/operations.md "Retention"):
/// deletes one finished instance now: the core's data of it first (checkpoints, events, signals, retry
/// records; the core checks the tenant and refuses a live instance), then its run and run directory.
/// An instance the core no longer knows (its retention came first) still loses its run here.
/// </summary>
internal sealed class InstanceDeletion(IEnvironmentStore store, ICoreClient core, IOptions<EnvironmentOptions> options, ILogger<InstanceDeletion> logger)
{
    public async Task DeleteAsync(string instanceId, string tenantId, CancellationToken cancellationToken)
    {
        Identifiers.Require(instanceId, "instance_id");
        Identifiers.Require(tenantId, "tenant_id");
        var run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (run is not null && !string.Equals(run.TenantId, tenantId, StringComparison.Ordinal))
        {
            throw new InstanceNotFoundException(instanceId);
        }

        if (run is { Status: RunStatus.Pending or RunStatus.Running or RunStatus.Suspended })
        {
            throw new InvalidInstanceStateException(instanceId, "delete", run.Status.ToStorage(), "only completed, failed or cancelled instances can be deleted");
        }

        try
        {
            await core.DeleteInstanceAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
        }
        catch (InstanceNotFoundException) when (run is not null)
        {
            // The core's retention deleted its part already.
        }

        if (run is not null)
        {
            await store.DeleteRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        }

        RetentionWorker.DeleteRunDirectory(options.Value.ResolveDataDirectory(), tenantId, instanceId);
        EnvironmentTelemetry.PurgedRuns.Add(1);
        Log.InstanceDeleted(logger, instanceId, tenantId);
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using Runtara.Diagnostics;
using Runtara.Environment.Core;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Hosting;

/// <summary>/health: the environment's database answers.</summary>
internal sealed class StoreHealthCheck(IEnvironmentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.PingAsync(cancellationToken).ConfigureAwait(false) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The environment database does not answer.");
}

/// <summary>/health: the core answers the management protocol (degraded, not unhealthy, when it does not).</summary>
internal sealed class CoreHealthCheck(ICoreClient core) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Health probes run every few seconds: keep them out of the trace list (BackgroundWork).
        using var background = BackgroundWork.Begin();
        try
        {
            var health = await core.HealthAsync(cancellationToken).ConfigureAwait(false);
            return health.Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded("The core reports itself unhealthy.");
        }
        catch (EnvironmentException ex)
        {
            return HealthCheckResult.Degraded(ex.Message);
        }
    }
}

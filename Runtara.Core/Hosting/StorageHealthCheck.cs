using Microsoft.Extensions.Diagnostics.HealthChecks;
using Runtara.Engine.Storage;

namespace Runtara.Core.Hosting;

/// <summary>/health: the database answers.</summary>
internal sealed class StorageHealthCheck(ICoreStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.PingAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy($"{store.Backend} storage answers")
            : HealthCheckResult.Unhealthy($"{store.Backend} storage does not answer");
}

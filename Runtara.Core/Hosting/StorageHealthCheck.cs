using Microsoft.Extensions.Diagnostics.HealthChecks;
using Runtara.Engine.Storage;

namespace Runtara.Core.Hosting;

/// <summary>
/// /health: the database answers (else Unhealthy), and its last write did not fail for lack of disk
/// space (else Degraded: reads still work, writes answer RESOURCE_EXHAUSTED until space is freed).
/// </summary>
internal sealed class StorageHealthCheck(ICoreStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!await store.PingAsync(cancellationToken).ConfigureAwait(false))
        {
            return HealthCheckResult.Unhealthy($"{store.Backend} storage does not answer");
        }

        return store.OutOfSpaceSince is { } since
            ? HealthCheckResult.Degraded($"{store.Backend} storage is full since {since:O}: writes fail with RESOURCE_EXHAUSTED until disk space is freed")
            : HealthCheckResult.Healthy($"{store.Backend} storage answers");
    }
}

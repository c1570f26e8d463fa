using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Workers;

/// <summary>
/// Keeps this environment's runs its own and takes over those of environments that died (docs/environment.md,
/// "Several environments"). Every <see cref="EnvironmentOptions.RunLeaseRenewInterval"/> it extends, in one
/// UPDATE, the lease of each pending or running run this environment owns; kills (without settling) a local
/// process whose run another environment took over meanwhile (this one could not renew: a partition); then
/// claims runs whose lease expired and hands each to <see cref="InstanceSupervisor.TakeOverAsync"/>. A dead
/// environment's runs are taken over at most <see cref="EnvironmentOptions.RunLease"/> plus one interval after
/// its last renewal.
/// </summary>
internal sealed class RunLeaseWorker(IEnvironmentStore store, InstanceSupervisor supervisor, IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<RunLeaseWorker> logger)
    : PeriodicWorker(time, logger)
{
    private readonly EnvironmentOptions _options = options.Value;

    protected override TimeSpan Interval => _options.RunLeaseRenewInterval;

    protected override string Name => "Run lease worker";

    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await RenewAsync(cancellationToken).ConfigureAwait(false);
        await TakeOverAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renews this environment's leases; returns how many local processes were killed because their run is another's now.</summary>
    public async Task<int> RenewAsync(CancellationToken cancellationToken)
    {
        var owned = new HashSet<string>(await store.RenewRunLeasesAsync(supervisor.EnvironmentId, supervisor.LeaseUntilMs(), cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
        var killed = 0;
        foreach (var instanceId in supervisor.LiveInstanceIds)
        {
            if (owned.Contains(instanceId))
            {
                continue;
            }

            // Not renewed: either settled meanwhile (still ours, its process is exiting) or taken over by another.
            var run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
            if (run?.OwnerId is null || supervisor.IsMine(run))
            {
                continue;
            }

            Log.RunLost(Logger, instanceId, run.OwnerId, supervisor.LivePid(instanceId));
            await supervisor.AbandonAsync(instanceId, cancellationToken).ConfigureAwait(false);
            killed++;
        }

        return killed;
    }

    /// <summary>Claims runs whose lease expired and takes each over; returns how many were acted on.</summary>
    public async Task<int> TakeOverAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var claimed = await store.ClaimExpiredRunsAsync(supervisor.EnvironmentId, now, supervisor.LeaseUntilMs(), _options.TakeoverBatchSize, cancellationToken).ConfigureAwait(false);
        var taken = 0;
        foreach (var run in claimed)
        {
            try
            {
                if (await supervisor.TakeOverAsync(run.InstanceId, cancellationToken).ConfigureAwait(false) is not null)
                {
                    taken++;
                }
            }
            catch (EnvironmentException ex)
            {
                // The run stays this environment's: the heartbeat monitor settles an owned run without a process.
                Log.TakeoverFailed(Logger, run.InstanceId, ex.Message);
            }
        }

        return taken;
    }
}

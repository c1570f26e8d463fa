using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Core;
using Runtara.Environment.Hosting;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;

namespace Runtara.Environment.Workers;

/// <summary>
/// Ends silent instances (SPEC §14.8, corrected per §19.11/§19.13): an instance of this environment
/// with no activity at the core — measured on the core's clock, checkpoints included — for longer than
/// the heartbeat timeout has its process killed and is retried or failed. It also settles runs whose
/// process is gone without an observed exit (e.g. the core was unreachable when it ended). Both act only on
/// runs this environment owns: another environment's runs are its own to watch, or taken over when its lease expires.
/// </summary>
internal sealed class HeartbeatMonitor(
    ICoreClient core, IEnvironmentStore store, InstanceSupervisor supervisor, IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<HeartbeatMonitor> logger)
    : PeriodicWorker(time, logger)
{
    private readonly EnvironmentOptions _options = options.Value;

    protected override TimeSpan Interval => _options.HeartbeatInterval;

    protected override string Name => "Heartbeat monitor";

    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = Time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.HeartbeatTimeout.TotalMilliseconds;
        foreach (var status in new[] { CoreStatus.StatusRunning, CoreStatus.StatusPending })
        {
            var silent = await core.ListSilentInstancesAsync(status, cutoff, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var instance in silent)
            {
                var run = await store.GetRunAsync(instance.InstanceId, cancellationToken).ConfigureAwait(false);
                if (run is null || !run.IsActive || !supervisor.IsMine(run))
                {
                    // Not this environment's (another environment's run, or a self-registered instance).
                    continue;
                }

                if (Time.GetUtcNow().ToUnixTimeMilliseconds() - run.UpdatedAtMs < _options.HeartbeatTimeout.TotalMilliseconds)
                {
                    // Launched (woken, relaunched, taken over) less than a timeout ago: the core's last activity is
                    // the previous process's, and this one gets a whole timeout to report.
                    continue;
                }

                Log.InstanceSilent(Logger, instance.InstanceId, instance.LastActivityMs);
                if (!await supervisor.KillSilentAsync(instance.InstanceId, cancellationToken).ConfigureAwait(false))
                {
                    await supervisor.ReconcileAsync(run, $"Instance stale: no activity for {_options.HeartbeatTimeout.TotalSeconds:0} s (heartbeat timeout)", cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // Runs recorded as active whose process is not watched any more.
        foreach (var run in await store.ListOwnedRunsAsync(supervisor.EnvironmentId, [RunStatus.Pending, RunStatus.Running], cancellationToken).ConfigureAwait(false))
        {
            if (!supervisor.IsLive(run.InstanceId) && Time.GetUtcNow().ToUnixTimeMilliseconds() - run.UpdatedAtMs > _options.HeartbeatInterval.TotalMilliseconds)
            {
                await supervisor.ReconcileAsync(run, "Process ended without reporting a result", cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

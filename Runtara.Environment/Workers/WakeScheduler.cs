using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Core;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Instances;

namespace Runtara.Environment.Workers;

/// <summary>
/// Relaunches durable sleepers (SPEC §10 mechanism 3, §14.9): asks the core for SUSPENDED instances
/// whose wake-up time passed — leased, so two environments never relaunch the same one — and starts
/// each from its last checkpoint. A failed wake is retried when the lease expires.
/// </summary>
internal sealed class WakeScheduler(ICoreClient core, InstanceService instances, IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<WakeScheduler> logger)
    : PeriodicWorker(time, logger)
{
    private readonly EnvironmentOptions _options = options.Value;

    protected override TimeSpan Interval => _options.WakeInterval;

    protected override string Name => "Wake scheduler";

    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var lease = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, _options.WakeInterval.Ticks * 6));
        var due = await core.ListDueWakeupsAsync(_options.WakeBatchSize, lease, cancellationToken).ConfigureAwait(false);
        foreach (var wakeup in due)
        {
            // The poll is untraced (BackgroundWork); each relaunch is a trace of its own, which the woken instance joins.
            using var activity = EnvironmentTelemetry.Source.StartActivity("WakeInstance", ActivityKind.Internal);
            activity?.SetTag("runtara.instance_id", wakeup.InstanceId);
            try
            {
                if (await instances.WakeAsync(wakeup.InstanceId, wakeup.HasCheckpointId ? wakeup.CheckpointId : null, cancellationToken).ConfigureAwait(false))
                {
                    Log.InstanceWoken(Logger, wakeup.InstanceId, wakeup.WakeAtMs);
                }
            }
            catch (EnvironmentException ex)
            {
                Log.WakeFailed(Logger, wakeup.InstanceId, ex.Message);
            }
        }
    }
}

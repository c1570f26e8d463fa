using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Diagnostics;
using Runtara.Environment.Core;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Instances;
using Runtara.Protocol.Management;

namespace Runtara.Environment.Workers;

/// <summary>
/// Carries out what the core says is due (SPEC §10 mechanism 3, §14.9, and durable waits): relaunches
/// SUSPENDED instances whose sleep or wait is over, from their last checkpoint, and starts the child
/// instances workflows recorded. It long-polls the core (<see cref="EnvironmentOptions.WakeLongPoll"/>),
/// so a signal for a waiting instance relaunches it at once rather than at the next poll; everything
/// returned is leased (<see cref="EnvironmentOptions.WakeLease"/>), so two environments never act on the
/// same one, and a failed relaunch or start (a child over its tenant's quota) is retried when its lease expires.
/// </summary>
internal sealed class WakeScheduler(ICoreClient core, InstanceService instances, IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<WakeScheduler> logger)
    : BackgroundService
{
    private readonly EnvironmentOptions _options = options.Value;

    /// <summary>One poll of the core (long when <see cref="EnvironmentOptions.WakeLongPoll"/> is set) and the work it returned; true when there was work.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var due = await core.ListDueWakeupsAsync(_options.WakeBatchSize, _options.WakeLease, _options.WakeLongPoll, cancellationToken).ConfigureAwait(false);

        // Relaunches and starts run side by side: each is a process launch, and one slow image must not hold up the rest.
        var work = new List<Task>(due.Wakeups.Count + due.ChildStarts.Count);
        work.AddRange(due.Wakeups.Select(wakeup => WakeAsync(wakeup, cancellationToken)));
        work.AddRange(due.ChildStarts.Select(start => StartChildAsync(start, cancellationToken)));
        await Task.WhenAll(work).ConfigureAwait(false);
        return work.Count > 0;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The polls make no traces of their own; each relaunch or start does, which the instance joins.
        using var background = BackgroundWork.Begin();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // A long poll returns when there is work or after its wait: ask again at once. Plain
                // polling, and a failed poll (the core is down), wait an interval first.
                bool pause;
                try
                {
                    pause = !await RunOnceAsync(stoppingToken).ConfigureAwait(false) && _options.WakeLongPoll == TimeSpan.Zero;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    Log.WorkerFailed(logger, "Wake scheduler", ex);
                    pause = true;
                }

                if (pause)
                {
                    await Task.Delay(_options.WakeInterval, time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task WakeAsync(DueWakeup wakeup, CancellationToken cancellationToken)
    {
        try
        {
            if (await instances.WakeAsync(wakeup.InstanceId, wakeup.HasCheckpointId ? wakeup.CheckpointId : null, cancellationToken).ConfigureAwait(false))
            {
                Log.InstanceWoken(logger, wakeup.InstanceId, wakeup.WakeAtMs);
            }
        }
        catch (EnvironmentException ex)
        {
            Log.WakeFailed(logger, wakeup.InstanceId, ex.Message);
        }
    }

    private async Task StartChildAsync(ChildStart start, CancellationToken cancellationToken)
    {
        try
        {
            await instances.StartChildAsync(start, cancellationToken).ConfigureAwait(false);
        }
        catch (EnvironmentException ex)
        {
            Log.ChildStartFailed(logger, start.ChildId, start.ParentId, ex.Message);
        }
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Schedules;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Workers;

/// <summary>
/// Fires due schedules (docs/operations.md "Schedules"). Each pass claims due schedules with a lease
/// (<see cref="EnvironmentOptions.ScheduleLease"/>), so with several environments on one database each
/// fire is handled by one; plans the fires (catch-up policy), applies the overlap policy against the
/// schedule's last instance, starts them with ids derived from the fire time, and writes back the next
/// fire time. A pass that dies before writing back leaves the lease to expire: the next claimer starts
/// the same fires again, which the derived ids make no-ops.
/// </summary>
internal sealed class ScheduleWorker(IEnvironmentStore store, IScheduleInstances instances, IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<ScheduleWorker> logger)
    : PeriodicWorker(time, logger)
{
    private readonly EnvironmentOptions _options = options.Value;

    // Claims carry the environment's id (its runs' owner too), so a claim in the database names who holds it.
    private readonly string _owner = options.Value.ResolveEnvironmentId();

    protected override TimeSpan Interval => _options.ScheduleInterval;

    protected override string Name => "Schedule worker";

    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var claimed = await store.ClaimDueSchedulesAsync(_owner, now, now + (long)_options.ScheduleLease.TotalMilliseconds, _options.ScheduleBatchSize, cancellationToken).ConfigureAwait(false);
        foreach (var schedule in claimed)
        {
            try
            {
                await FireAsync(schedule, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Retried when the lease runs out; fires already started are not started twice.
                Log.ScheduleFireDeferred(Logger, schedule.ScheduleId, ex.Message);
            }
        }
    }

    private async Task FireAsync(ScheduleRecord schedule, long now, CancellationToken cancellationToken)
    {
        var plan = FirePlan.For(schedule, ScheduleTiming.Of(schedule), now, (long)_options.ScheduleCatchUpGrace.TotalMilliseconds);
        if (plan.MissedAny)
        {
            Log.ScheduleMissedFires(Logger, schedule.ScheduleId, schedule.NextFireAtMs ?? now, schedule.CatchUp.ToStorage());
        }

        var lastFire = schedule.LastFireAtMs;
        var lastInstance = schedule.LastInstanceId;
        var buffered = schedule.BufferedFireAtMs;
        var live = lastInstance is not null && schedule.Overlap != ScheduleOverlap.AllowAll
            && await instances.IsLiveAsync(lastInstance, cancellationToken).ConfigureAwait(false);

        async Task StartAsync(long fireAt)
        {
            var instanceId = await TryStartAsync(schedule, fireAt, cancellationToken).ConfigureAwait(false);
            lastFire = fireAt;
            if (instanceId is not null)
            {
                lastInstance = instanceId;
                live = true;
            }
        }

        // A buffered fire goes first, once the instance it waited for has ended.
        if (buffered is { } waiting && !live)
        {
            buffered = null;
            await StartAsync(waiting).ConfigureAwait(false);
        }

        foreach (var fireAt in plan.Fires)
        {
            if (!live || schedule.Overlap == ScheduleOverlap.AllowAll)
            {
                await StartAsync(fireAt).ConfigureAwait(false);
            }
            else if (schedule.Overlap == ScheduleOverlap.BufferOne && buffered is null)
            {
                buffered = fireAt;
            }
            else
            {
                Log.ScheduleFireSkipped(Logger, schedule.ScheduleId, fireAt, lastInstance!);
            }
        }

        var outcome = new ScheduleFireOutcome(schedule.ScheduleId, plan.NextFireAtMs, lastFire, lastInstance, buffered, Time.GetUtcNow().ToUnixTimeMilliseconds());
        if (!await store.CompleteScheduleFireAsync(_owner, outcome, cancellationToken).ConfigureAwait(false))
        {
            Log.ScheduleClaimLost(Logger, schedule.ScheduleId);
        }
    }

    /// <summary>The started (or already existing) instance's id; null when the start was refused for good (quota, deleted image), which drops the fire.</summary>
    private async Task<string?> TryStartAsync(ScheduleRecord schedule, long fireAt, CancellationToken cancellationToken)
    {
        try
        {
            var (instanceId, created) = await instances.StartAsync(schedule, fireAt, cancellationToken).ConfigureAwait(false);
            Log.ScheduleFired(Logger, schedule.ScheduleId, fireAt, instanceId, created);
            return instanceId;
        }
        catch (EnvironmentException ex) when (ex is not CoreUnavailableException and not EnvironmentStorageException)
        {
            Log.ScheduleFireFailed(Logger, schedule.ScheduleId, fireAt, ex.Code, ex.Message);
            return null;
        }
    }
}

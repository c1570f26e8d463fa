using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;

namespace Runtara.Engine.Sleep;

/// <summary>What a Sleep call answers: whether the instance was suspended, and the wake-up time.</summary>
public sealed record SleepOutcome(bool Suspended, long WakeAtMs);

/// <summary>
/// Durable sleep (SPEC §10, fixing §19.10). The wake-up time of a sleep is stored once per
/// (instance, checkpoint) together with the checkpoint's state, so a replayed sleep after a wake
/// sees the original deadline. Long sleeps set the instance SUSPENDED with its wake-up time and
/// return at once (the instance exits; the environment relaunches it via ListDueWakeups); sleeps
/// shorter than <see cref="EngineOptions.InProcessSleepThreshold"/> are waited here, status RUNNING.
/// </summary>
internal sealed class SleepService(ICoreStore store, TimeProvider time, IOptions<EngineOptions> options, ILogger<SleepService> logger)
{
    // Far enough for any real schedule, small enough that wake-up arithmetic never overflows.
    private const long MaxDurationMs = 100L * 365 * 24 * 60 * 60 * 1000;

    private readonly long _thresholdMs = (long)options.Value.InProcessSleepThreshold.TotalMilliseconds;
    private readonly int _maxStateBytes = options.Value.MaxCheckpointSize;

    public async Task<SleepOutcome> SleepAsync(string instanceId, ulong durationMs, string? checkpointId, byte[] state, long incarnation, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        ArgumentNullException.ThrowIfNull(state);
        if (durationMs > MaxDurationMs)
        {
            throw new CoreValidationException("duration_ms", $"must be at most {MaxDurationMs}");
        }

        // The state is stored as the sleep's checkpoint: the checkpoint limit applies (as it does to Checkpoint).
        if (state.Length > _maxStateBytes)
        {
            throw new CheckpointTooLargeException(instanceId, checkpointId ?? string.Empty, state.Length, _maxStateBytes);
        }

        var duration = (long)durationMs;
        if (!string.IsNullOrEmpty(checkpointId))
        {
            CoreValidationException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        }

        if (duration >= _thresholdMs && string.IsNullOrEmpty(checkpointId))
        {
            throw new CoreValidationException("checkpoint_id", "a durable sleep needs the checkpoint to resume from");
        }

        var outcome = await store.WriteAsync("sleep", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);
            IncarnationFence.Ensure(instance, incarnation);
            InstanceStateMachine.Ensure(instance, InstanceStateMachine.RunningOnly, "sleep");
            var now = time.NowMs();
            var wakeAt = now + duration;
            var updated = instance with { LastActivityMs = now };
            if (!string.IsNullOrEmpty(checkpointId))
            {
                var saved = await writer.SaveCheckpointIfAbsentAsync(instanceId, checkpointId, state, now, token).ConfigureAwait(false);
                if (saved.Inserted)
                {
                    updated = updated with { CheckpointId = checkpointId };
                }

                wakeAt = await writer.SaveSleepIfAbsentAsync(instanceId, checkpointId, wakeAt, now, token).ConfigureAwait(false);
            }

            var suspend = wakeAt - now >= _thresholdMs;
            if (suspend)
            {
                updated = updated with { Status = InstanceStatus.Suspended, SleepUntilMs = wakeAt, WakeLeaseUntilMs = null };
            }

            await writer.UpdateInstanceAsync(updated, token).ConfigureAwait(false);
            return new SleepOutcome(suspend, wakeAt);
        }, cancellationToken).ConfigureAwait(false);

        if (outcome.Suspended)
        {
            EngineTelemetry.RecordStatusChange(InstanceStatus.Suspended);
            Log.InstanceSleeping(logger, instanceId, outcome.WakeAtMs);
            return outcome;
        }

        var remaining = outcome.WakeAtMs - time.NowMs();
        if (remaining > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(remaining), time, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }
}

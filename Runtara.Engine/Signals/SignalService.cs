using Microsoft.Extensions.Logging;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;
using Runtara.Engine.Waits;

namespace Runtara.Engine.Signals;

/// <summary>
/// Signals (SPEC §9). One pending instance-wide signal per instance (a new one replaces the old),
/// delivered on every checkpoint response and poll until acknowledged; an acknowledged signal is
/// never delivered again (fixing the original's SQLite quirk). Custom signals are per (instance,
/// checkpoint) and consumed exactly once.
/// </summary>
internal sealed class SignalService(ICoreStore store, ActivityTracker activity, WakeupNotifier notifier, TimeProvider time, ILogger<SignalService> logger)
{
    /// <summary>SendSignal (management): CANCEL to any live instance, PAUSE before or while running, RESUME to a suspended one.</summary>
    public async Task SendAsync(string instanceId, SignalKind kind, byte[] payload, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        ArgumentNullException.ThrowIfNull(payload);
        await store.WriteAsync("send_signal", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);
            InstanceStateMachine.Ensure(instance, AllowedFrom(kind), $"a {kind.ToStorageName()} signal");
            await writer.UpsertPendingSignalAsync(new PendingSignal(instanceId, kind, payload, time.NowMs()), token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        Log.SignalSent(logger, instanceId, kind.ToStorageName());
    }

    /// <summary>SendCustomSignal (management): replaces the payload waiting at (instance, checkpoint).</summary>
    public async Task SendCustomAsync(string instanceId, string checkpointId, byte[] payload, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        ArgumentNullException.ThrowIfNull(payload);
        var due = await store.WriteAsync("send_custom_signal", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);

            // A finished instance never checkpoints again, so the signal could never be delivered.
            InstanceStateMachine.Ensure(instance, InstanceStateMachine.Live, "a custom signal");
            var now = time.NowMs();
            await writer.UpsertCustomSignalAsync(instanceId, checkpointId, payload, now, token).ConfigureAwait(false);

            // An instance suspended on a wait for this signal is due now: the environment relaunches
            // it and its wait takes the signal. Running or exiting ones take it at their next look.
            if (instance.Status == InstanceStatus.Suspended && WaitPoint.Parse(instance.WaitingFor)?.Signals.Contains(checkpointId) == true)
            {
                await writer.UpdateInstanceAsync(instance with { SleepUntilMs = now, WakeLeaseUntilMs = null }, token).ConfigureAwait(false);
                await writer.NotifyWakeupAsync(token).ConfigureAwait(false);
                return true;
            }

            return false;
        }, cancellationToken).ConfigureAwait(false);
        if (due)
        {
            notifier.Pulse();
        }
    }

    /// <summary>
    /// PollSignals: the pending signal (not consumed) and, when a checkpoint is named, its custom
    /// signal (consumed). An unknown instance simply has no signal. With
    /// <paramref name="storeAsCheckpointId"/> the consumed custom signal is stored as that checkpoint
    /// in the same transaction (see <see cref="PollIntoCheckpointAsync"/>).
    /// </summary>
    public async Task<(PendingSignal? Signal, CustomSignal? Custom)> PollAsync(
        string instanceId, string? checkpointId, string? storeAsCheckpointId, long incarnation, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        if (storeAsCheckpointId is not null)
        {
            CoreValidationException.ThrowIfEmpty(storeAsCheckpointId, "store_as_checkpoint_id");
            if (string.IsNullOrEmpty(checkpointId))
            {
                throw new CoreValidationException("checkpoint_id", "checkpoint_id is required with store_as_checkpoint_id");
            }
        }

        activity.Touch(instanceId);
        if (storeAsCheckpointId is not null)
        {
            return await PollIntoCheckpointAsync(instanceId, checkpointId!, storeAsCheckpointId, incarnation, cancellationToken).ConfigureAwait(false);
        }

        PendingSignal? signal;
        CustomSignal? custom = null;
        if (string.IsNullOrEmpty(checkpointId))
        {
            signal = await store.GetPendingSignalAsync(instanceId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (signal, custom) = await store.WriteAsync("poll_signals", async (writer, token) =>
            {
                // Taking a custom signal is a write: a superseded process must not consume it.
                if (incarnation != IncarnationFence.NotPresented)
                {
                    IncarnationFence.Ensure(await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false), incarnation);
                }

                var pending = await writer.GetPendingSignalAsync(instanceId, token).ConfigureAwait(false);
                var payload = await writer.TakeCustomSignalAsync(instanceId, checkpointId, token).ConfigureAwait(false);
                return (pending, payload is null ? null : new CustomSignal(checkpointId, payload));
            }, cancellationToken).ConfigureAwait(false);
        }

        RecordDelivery(signal, custom);
        return (signal, custom);
    }

    /// <summary>
    /// The exactly-once hand-over: in one transaction, the custom signal waiting at
    /// <paramref name="checkpointId"/> is deleted and inserted as the checkpoint
    /// <paramref name="storeAsCheckpointId"/>; if that checkpoint already exists, its state is returned
    /// and nothing is consumed. Repeating the poll (a lost response, a relaunch) therefore returns the
    /// same payload, and a newer signal at <paramref name="checkpointId"/> stays waiting. It writes a
    /// checkpoint, so like Checkpoint it needs an existing, RUNNING instance.
    /// </summary>
    private async Task<(PendingSignal? Signal, CustomSignal? Custom)> PollIntoCheckpointAsync(
        string instanceId, string checkpointId, string storeAsCheckpointId, long incarnation, CancellationToken cancellationToken)
    {
        var (signal, custom, stored) = await store.WriteAsync<(PendingSignal?, CustomSignal?, bool)>("poll_signals_store", async (writer, token) =>
        {
            // Locks the instance row on PostgreSQL, so racing polls of one instance run one after the other.
            var (status, current, pending, customWaiting) = await writer.GetInstanceAndSignalsAsync(instanceId, checkpointId, token).ConfigureAwait(false);
            if (status is not null)
            {
                IncarnationFence.Ensure(instanceId, current, incarnation);
            }

            InstanceStateMachine.Ensure(instanceId, status ?? throw new InstanceNotFoundException(instanceId), InstanceStateMachine.RunningOnly, "storing a custom signal as a checkpoint");
            if (await writer.GetCheckpointAsync(instanceId, storeAsCheckpointId, token).ConfigureAwait(false) is { } existing)
            {
                return (pending, new CustomSignal(checkpointId, existing.State), false);
            }

            var payload = customWaiting ? await writer.TakeCustomSignalAsync(instanceId, checkpointId, token).ConfigureAwait(false) : null;
            if (payload is null)
            {
                return (pending, null, false);
            }

            // Stored whatever its size: the sender's payload is already accepted, and refusing here
            // would strand it at the wait point forever.
            var now = time.NowMs();
            var saved = await writer.SaveCheckpointIfAbsentAsync(instanceId, storeAsCheckpointId, payload, now, token).ConfigureAwait(false);
            if (!saved.Inserted)
            {
                // Not expected (absent just above, under the instance lock). Throwing rolls the take
                // back, and the operation's re-run answers from the checkpoint instead.
                throw new InvalidOperationException($"Checkpoint '{storeAsCheckpointId}' appeared while storing a custom signal.");
            }

            await writer.SetLastCheckpointAsync(instanceId, storeAsCheckpointId, now, token).ConfigureAwait(false);
            return (pending, new CustomSignal(checkpointId, payload), true);
        }, cancellationToken).ConfigureAwait(false);

        if (stored)
        {
            EngineTelemetry.CheckpointsSaved.Add(1);
            EngineTelemetry.CheckpointBytes.Add(custom!.Payload.Length);
        }

        // A payload answered from the checkpoint was counted when it was consumed: count it once.
        RecordDelivery(signal, stored ? custom : null);
        return (signal, custom);
    }

    /// <summary>
    /// SignalAck: acknowledges the pending signal only when it is of the acknowledged type (a stale
    /// ack for a replaced signal is ignored). CANCEL then ends the instance CANCELLED with finished_at.
    /// Returns whether a signal was acknowledged.
    /// </summary>
    public async Task<bool> AcknowledgeAsync(string instanceId, SignalKind kind, bool acknowledged, long incarnation, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        if (!acknowledged)
        {
            Log.SignalNotAcknowledged(logger, instanceId, kind.ToStorageName());
            return false;
        }

        var (done, cancelledFrom, due) = await store.WriteAsync<(bool, InstanceStatus?, bool)>("signal_ack", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);
            IncarnationFence.Ensure(instance, incarnation);
            var now = time.NowMs();
            if (!await writer.AcknowledgeSignalAsync(instanceId, kind, now, token).ConfigureAwait(false))
            {
                return (false, null, false);
            }

            if (kind == SignalKind.Cancel && !instance.Status.IsTerminal())
            {
                await writer.UpdateInstanceAsync(instance with
                {
                    Status = InstanceStatus.Cancelled,
                    FinishedAtMs = now,
                    LastActivityMs = now,
                    SleepUntilMs = null,
                    WakeLeaseUntilMs = null,
                    WaitingFor = null,
                }, token).ConfigureAwait(false);
                var woke = await InstanceEndings.OnEndedAsync(writer, instanceId, InstanceStatus.Cancelled, now, token).ConfigureAwait(false);
                return (true, instance.Status, woke);
            }

            await writer.TouchInstanceAsync(instanceId, now, token).ConfigureAwait(false);
            return (true, null, false);
        }, cancellationToken).ConfigureAwait(false);

        if (due)
        {
            notifier.Pulse();
        }

        if (!done)
        {
            Log.SignalAckIgnored(logger, instanceId, kind.ToStorageName());
        }

        if (cancelledFrom is { } from)
        {
            EngineTelemetry.RecordStatusChange(InstanceStatus.Cancelled);
            Log.InstanceStatusChanged(logger, instanceId, from.ToStorageName(), InstanceStatus.Cancelled.ToStorageName());
        }

        return done;
    }

    internal static void RecordDelivery(PendingSignal? signal, CustomSignal? custom)
    {
        if (signal is not null)
        {
            EngineTelemetry.RecordSignalDelivered(signal.Kind);
        }

        if (custom is not null)
        {
            EngineTelemetry.RecordCustomSignalDelivered();
        }
    }

    private static IReadOnlyCollection<InstanceStatus> AllowedFrom(SignalKind kind) => kind switch
    {
        SignalKind.Cancel => InstanceStateMachine.Live,
        SignalKind.Pause => InstanceStateMachine.PauseFrom,
        SignalKind.Resume => InstanceStateMachine.ResumeFrom,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

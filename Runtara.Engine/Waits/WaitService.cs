using Microsoft.Extensions.Logging;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Storage;
using Runtara.Protocol.Contracts;

namespace Runtara.Engine.Waits;

/// <summary>What a Wait call answered.</summary>
/// <param name="Outcome">The stored outcome (<see cref="WaitOutcome"/> JSON); null while the wait goes on.</param>
/// <param name="Suspended">True when the instance is now SUSPENDED on the wait.</param>
/// <param name="DeadlineMs">The wait's server-clock deadline; 0 when it has none.</param>
/// <param name="Signal">The pending instance-wide signal, as on a checkpoint.</param>
/// <param name="DecidedNow">True when this call decided the outcome (it was not stored before).</param>
public sealed record WaitResult(byte[]? Outcome, bool Suspended, long DeadlineMs, PendingSignal? Signal, bool DecidedNow = false);

/// <summary>
/// Durable waits (docs/protocol.md "Durable waits"). One transaction decides a wait: a stored outcome
/// is returned as is; else the oldest custom signal waiting at one of the names is taken, or the
/// children's ends are collected once all ended, or the deadline (fixed once per wait, like a sleep's
/// wake-up time) has passed — and the outcome is stored as the wait's checkpoint, so the winner is
/// decided once. Otherwise, when asked, the instance is suspended with what it waits for, and becomes
/// due when a matching signal arrives (<see cref="SignalService"/>), its children end
/// (<see cref="InstanceEndings"/>) or the deadline passes.
/// </summary>
internal sealed class WaitService(ICoreStore store, ActivityTracker activity, TimeProvider time, ILogger<WaitService> logger)
{
    /// <summary>Most signal names or children one wait may name.</summary>
    public const int MaxTargets = 1_000;

    private const long MaxTimeoutMs = 100L * 365 * 24 * 60 * 60 * 1000;

    public async Task<WaitResult> WaitAsync(
        string instanceId, string checkpointId, IReadOnlyList<string> signalNames, IReadOnlyList<string> childIds, ulong? timeoutMs, bool suspend,
        long incarnation, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        Validate(signalNames, childIds, timeoutMs);
        activity.Touch(instanceId);

        var result = await store.WriteAsync("wait", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);
            IncarnationFence.Ensure(instance, incarnation);
            InstanceStateMachine.Ensure(instance, InstanceStateMachine.RunningOnly, "wait");
            var signal = await writer.GetPendingSignalAsync(instanceId, token).ConfigureAwait(false);
            if (await writer.GetCheckpointAsync(instanceId, checkpointId, token).ConfigureAwait(false) is { } stored)
            {
                return new WaitResult(stored.State, false, 0, signal);
            }

            var now = time.NowMs();
            long? deadline = timeoutMs is { } timeout
                ? await writer.SaveSleepIfAbsentAsync(instanceId, checkpointId, now + (long)timeout, now, token).ConfigureAwait(false)
                : null;
            var outcome = await DecideAsync(writer, instanceId, signalNames, childIds, deadline, now, token).ConfigureAwait(false);
            if (outcome is not null)
            {
                var state = outcome.ToJson();
                await writer.SaveCheckpointIfAbsentAsync(instanceId, checkpointId, state, now, token).ConfigureAwait(false);
                await writer.SetLastCheckpointAsync(instanceId, checkpointId, now, token).ConfigureAwait(false);
                return new WaitResult(state, false, deadline ?? 0, signal, DecidedNow: true);
            }

            // A pending cancel or pause stops the instance instead: it must not sleep through it.
            if (!suspend || signal is { Kind: SignalKind.Cancel or SignalKind.Pause })
            {
                return new WaitResult(null, false, deadline ?? 0, signal);
            }

            var point = new WaitPoint { CheckpointId = checkpointId, Signals = signalNames, Children = childIds, DeadlineMs = deadline };
            await writer.UpdateInstanceAsync(instance with
            {
                Status = InstanceStatus.Suspended,
                SleepUntilMs = deadline,
                WakeLeaseUntilMs = null,
                WaitingFor = point.ToJson(),
                LastActivityMs = now,
            }, token).ConfigureAwait(false);
            return new WaitResult(null, true, deadline ?? 0, signal);
        }, cancellationToken).ConfigureAwait(false);

        if (result.Suspended)
        {
            EngineTelemetry.RecordStatusChange(InstanceStatus.Suspended);
            Log.InstanceWaiting(logger, instanceId, checkpointId, signalNames.Count, childIds.Count, result.DeadlineMs);
        }

        SignalService.RecordDelivery(result.Signal, null);
        return result;
    }

    private static async ValueTask<WaitOutcome?> DecideAsync(
        IStoreWriter writer, string instanceId, IReadOnlyList<string> signalNames, IReadOnlyList<string> childIds, long? deadline, long now, CancellationToken token)
    {
        // The oldest signal wins when several wait (ties: the first name asked for).
        string? winner = null;
        long winnerAt = long.MaxValue;
        foreach (var name in signalNames)
        {
            if (await writer.GetCustomSignalTimeAsync(instanceId, name, token).ConfigureAwait(false) is { } at && at < winnerAt)
            {
                (winner, winnerAt) = (name, at);
            }
        }

        if (winner is not null && await writer.TakeCustomSignalAsync(instanceId, winner, token).ConfigureAwait(false) is { } payload)
        {
            EngineTelemetry.RecordCustomSignalDelivered();
            return new WaitOutcome { Kind = WaitOutcome.SignalKind, Signal = winner, Payload = payload };
        }

        if (childIds.Count > 0 && await CollectChildEndsAsync(writer, childIds, token).ConfigureAwait(false) is { } ends)
        {
            return new WaitOutcome { Kind = WaitOutcome.ChildrenKind, Children = ends };
        }

        return deadline is { } d && now >= d ? new WaitOutcome { Kind = WaitOutcome.TimeoutKind } : null;
    }

    /// <summary>The ends of <paramref name="childIds"/>, in order, once every one of them ended; null while one has not.</summary>
    internal static async ValueTask<List<ChildOutcome>?> CollectChildEndsAsync(IStoreWriter writer, IReadOnlyList<string> childIds, CancellationToken token)
    {
        var ends = new List<ChildOutcome>(childIds.Count);
        foreach (var childId in childIds)
        {
            var child = await writer.GetInstanceAsync(childId, token).ConfigureAwait(false);
            if (child is null || !child.Status.IsTerminal())
            {
                return null;
            }

            ends.Add(new ChildOutcome { InstanceId = childId, Status = child.Status, Output = child.Output, Error = child.Error });
        }

        return ends;
    }

    private static void Validate(IReadOnlyList<string> signalNames, IReadOnlyList<string> childIds, ulong? timeoutMs)
    {
        if (signalNames.Count == 0 && childIds.Count == 0 && timeoutMs is null)
        {
            throw new CoreValidationException("signal_names", "a wait needs a signal name, a child or a timeout");
        }

        if (signalNames.Count > MaxTargets || childIds.Count > MaxTargets)
        {
            throw new CoreValidationException("signal_names", $"a wait may name at most {MaxTargets} signals and {MaxTargets} children");
        }

        foreach (var name in signalNames)
        {
            CoreValidationException.ThrowIfEmpty(name, "signal_names");
        }

        foreach (var childId in childIds)
        {
            CoreValidationException.ThrowIfEmpty(childId, "instance_id");
        }

        if (timeoutMs > MaxTimeoutMs)
        {
            throw new CoreValidationException("timeout_ms", $"must be at most {MaxTimeoutMs}");
        }
    }
}

using Microsoft.Extensions.Options;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Storage;

namespace Runtara.Engine.Checkpoints;

/// <summary>What a Checkpoint call answers: the stored state when the key existed, plus signals for the instance.</summary>
public readonly record struct CheckpointOutcome(bool Found, byte[] State, PendingSignal? PendingSignal, CustomSignal? CustomSignal);

/// <summary>
/// Checkpoints (SPEC §8) with an atomic save-if-absent: the first state stored under a key wins and
/// every caller, racing or replaying, gets that state back. Each response carries the pending
/// instance-wide signal and consumes the custom signal of that checkpoint, in the same transaction.
/// </summary>
internal sealed class CheckpointService(ICoreStore store, ActivityTracker activity, TimeProvider time, IOptions<EngineOptions> options)
{
    private readonly EngineOptions _options = options.Value;

    public ValueTask<CheckpointOutcome> SaveAsync(string instanceId, string checkpointId, byte[] state, long incarnation, CancellationToken cancellationToken) =>
        SaveAsync(instanceId, checkpointId, state, incarnation, static outcome => outcome, cancellationToken);

    /// <summary>
    /// <see cref="SaveAsync(string, string, byte[], long, CancellationToken)"/> with the outcome turned
    /// into the caller's answer by <paramref name="answer"/> (e.g. the RPC reply) when the caller takes
    /// it: neither this method nor its caller needs a state machine to wait for the commit. Invalid
    /// arguments throw at once.
    /// </summary>
    public ValueTask<TAnswer> SaveAsync<TAnswer>(string instanceId, string checkpointId, byte[] state, long incarnation, Func<CheckpointOutcome, TAnswer> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length > _options.MaxCheckpointSize)
        {
            throw new CheckpointTooLargeException(instanceId, checkpointId, state.Length, _options.MaxCheckpointSize);
        }

        return store.WriteAsync(
            "checkpoint",
            (Work: new SaveWork(instanceId, checkpointId, state, incarnation, time), Answer: answer),
            static (writer, save, token) => SaveInTransactionAsync(writer, save.Work, token),
            static (saved, save) => save.Answer(Committed(saved, save.Work.State.Length)),
            cancellationToken);
    }

    /// <summary>What a committed save answers; counts it, and the signals it delivers.</summary>
    private static CheckpointOutcome Committed((CheckpointSaveResult Result, PendingSignal? Signal, CustomSignal? Custom) saved, int stateLength)
    {
        var (result, pending, custom) = saved;
        if (result.Inserted)
        {
            EngineTelemetry.CheckpointsSaved.Add(1);
            EngineTelemetry.CheckpointBytes.Add(stateLength);
        }

        SignalService.RecordDelivery(pending, custom);
        return new CheckpointOutcome(!result.Inserted, result.Inserted ? [] : result.Stored.State, pending, custom);
    }

    /// <summary>The save-if-absent of <see cref="SaveAsync"/> inside the group-commit transaction (static: the write passes its input, no closure).</summary>
    private static async ValueTask<(CheckpointSaveResult Result, PendingSignal? Signal, CustomSignal? Custom)> SaveInTransactionAsync(IStoreWriter writer, SaveWork work, CancellationToken token)
    {
        var (instanceId, checkpointId) = (work.InstanceId, work.CheckpointId);
        var (status, current, signal, customWaiting) = await writer.GetInstanceAndSignalsAsync(instanceId, checkpointId, token).ConfigureAwait(false);
        if (status is not null)
        {
            IncarnationFence.Ensure(instanceId, current, work.Incarnation);
        }

        InstanceStateMachine.Ensure(instanceId, status ?? throw new InstanceNotFoundException(instanceId), InstanceStateMachine.RunningOnly, "checkpoint");
        var now = work.Time.NowMs();
        var result = await writer.SaveCheckpointIfAbsentAsync(instanceId, checkpointId, work.State, now, token).ConfigureAwait(false);
        if (result.Inserted)
        {
            await writer.SetLastCheckpointAsync(instanceId, checkpointId, now, token).ConfigureAwait(false);
        }
        else
        {
            await writer.TouchInstanceAsync(instanceId, now, token).ConfigureAwait(false);
        }

        // Most checkpoints have no custom signal waiting: skip the delete then. One that arrives
        // after the read is delivered by the next call for this checkpoint.
        var payload = customWaiting ? await writer.TakeCustomSignalAsync(instanceId, checkpointId, token).ConfigureAwait(false) : null;
        return (result, signal, payload is null ? null : new CustomSignal(checkpointId, payload));
    }

    /// <summary>GetCheckpoint: a pure read of an existing instance's checkpoint (no status check, no signals).</summary>
    public async Task<CheckpointRecord?> GetAsync(string instanceId, string checkpointId, bool fromInstance, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        if (await store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new InstanceNotFoundException(instanceId);
        }

        if (fromInstance)
        {
            activity.Touch(instanceId);
        }

        return await store.GetCheckpointAsync(instanceId, checkpointId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies the source's checkpoints up to <paramref name="upToCheckpointId"/> (all when null) into a
    /// new instance, atomically (a re-run or a fork, docs/operations.md): both must belong to
    /// <paramref name="tenantId"/>, the target must be PENDING with no checkpoint yet. The target's last
    /// checkpoint becomes the last one copied, so its first process replays instead of starting fresh.
    /// </summary>
    public async Task<(int Copied, string? LastCheckpointId)> CopyAsync(string sourceId, string targetId, string tenantId, string? upToCheckpointId, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(sourceId, "source_instance_id");
        CoreValidationException.ThrowIfEmpty(targetId, "target_instance_id");
        CoreValidationException.ThrowIfEmpty(tenantId, "tenant_id");
        if (upToCheckpointId is not null)
        {
            CoreValidationException.ThrowIfEmpty(upToCheckpointId, "up_to_checkpoint_id");
        }

        if (string.Equals(sourceId, targetId, StringComparison.Ordinal))
        {
            throw new CoreValidationException("target_instance_id", "must differ from the source");
        }

        var result = await store.WriteAsync("copy_checkpoints", async (writer, token) =>
        {
            foreach (var id in new[] { sourceId, targetId })
            {
                var instance = await writer.GetInstanceAsync(id, token).ConfigureAwait(false);
                // Another tenant's instance is reported like a missing one.
                if (instance is null || !string.Equals(instance.TenantId, tenantId, StringComparison.Ordinal))
                {
                    throw new InstanceNotFoundException(id);
                }

                if (id == targetId && (instance.Status != InstanceStatus.Pending || instance.CheckpointId is not null))
                {
                    throw new CoreValidationException("target_instance_id", $"'{targetId}' must be a new instance (PENDING, no checkpoint) to copy checkpoints into");
                }
            }

            var copied = await writer.CopyCheckpointsAsync(sourceId, targetId, upToCheckpointId, token).ConfigureAwait(false)
                ?? throw new CheckpointNotFoundException(sourceId, upToCheckpointId!);
            if (copied.LastCheckpointId is { } last)
            {
                await writer.SetLastCheckpointAsync(targetId, last, time.NowMs(), token).ConfigureAwait(false);
            }

            return copied;
        }, cancellationToken).ConfigureAwait(false);
        EngineTelemetry.CheckpointsSaved.Add(result.Copied);
        return result;
    }

    public Task<Page<CheckpointSummary>> ListAsync(CheckpointQuery query, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(query.InstanceId, "instance_id");
        return store.ListCheckpointsAsync(query, cancellationToken);
    }

    /// <summary>RetryAttempt: an audit row per (durable function key, attempt), kept apart from checkpoints (SPEC §11).</summary>
    public async Task RecordRetryAttemptAsync(string instanceId, string checkpointId, int attemptNumber, string? errorMessage, long incarnation, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        if (attemptNumber < 1)
        {
            throw new CoreValidationException("attempt_number", "must be 1 or more");
        }

        await store.WriteAsync("retry_attempt", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);
            IncarnationFence.Ensure(instance, incarnation);
            var now = time.NowMs();
            await writer.UpsertRetryAttemptAsync(new RetryAttemptRecord(instanceId, checkpointId, attemptNumber, errorMessage, now), token).ConfigureAwait(false);
            await writer.TouchInstanceAsync(instanceId, now, token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The recorded attempts of an existing instance; an unknown one is an error, not an empty page.</summary>
    public async Task<Page<RetryAttemptRecord>> ListRetryAttemptsAsync(RetryAttemptQuery query, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(query.InstanceId, "instance_id");
        if (await store.GetInstanceAsync(query.InstanceId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new InstanceNotFoundException(query.InstanceId);
        }

        return await store.ListRetryAttemptsAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What one save hands its transaction.</summary>
    private readonly record struct SaveWork(string InstanceId, string CheckpointId, byte[] State, long Incarnation, TimeProvider Time);
}

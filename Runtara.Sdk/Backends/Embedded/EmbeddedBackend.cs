using Runtara.Protocol.Instance;
using Runtara.Sdk.Embedded;

namespace Runtara.Sdk.Backends.Embedded;

/// <summary>
/// The instance protocol answered by an <see cref="EmbeddedStore"/> in the same process: no core, no
/// network, the same rules. A durable sleep at or above the threshold suspends the instance with its
/// wake-up time (there is no environment to relaunch it: the caller runs the workflow again).
/// </summary>
internal sealed class EmbeddedBackend(EmbeddedStore store, bool ownsStore, TimeSpan sleepThreshold) : IInstanceBackend
{
    public EmbeddedStore Store => store;

    public async Task<bool?> RegisterAsync(string instanceId, string tenantId, string? checkpointId, CancellationToken cancellationToken)
    {
        await store.RegisterAsync(instanceId, tenantId, checkpointId, cancellationToken).ConfigureAwait(false);
        return null; // A local read: the run asks GetStatusAsync.
    }

    public Task<CheckpointResult> CheckpointAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken) =>
        store.CheckpointAsync(instanceId, checkpointId, state, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken) =>
        store.GetCheckpointAsync(instanceId, checkpointId, cancellationToken);

    public async Task<SleepResult> SleepAsync(string instanceId, string checkpointId, long durationMs, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        var (suspended, wakeAt) = await store.SleepAsync(instanceId, checkpointId, durationMs, state, sleepThreshold, cancellationToken).ConfigureAwait(false);
        if (!suspended)
        {
            var remaining = wakeAt - store.NowMs();
            if (remaining > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(remaining), store.Time, cancellationToken).ConfigureAwait(false);
            }
        }

        return new SleepResult(suspended, wakeAt);
    }

    public Task SendEventAsync(InstanceEvent instanceEvent, CancellationToken cancellationToken) =>
        store.InsertEventAsync(
            instanceEvent.InstanceId,
            InstanceEvents.StorageName(instanceEvent.EventType),
            instanceEvent.HasCheckpointId ? instanceEvent.CheckpointId : null,
            instanceEvent.HasSubtype ? instanceEvent.Subtype : null,
            instanceEvent.Payload.Memory,
            instanceEvent.TimestampMs,
            cancellationToken);

    public Task<PendingSignal?> PollSignalsAsync(string instanceId, CancellationToken cancellationToken) =>
        store.PollSignalsAsync(instanceId, cancellationToken);

    public async Task<SignalPollResult> PollCustomSignalAsync(string instanceId, string checkpointId, string storeAsCheckpointId, CancellationToken cancellationToken)
    {
        var (signal, custom) = await store.PollCustomSignalAsync(instanceId, checkpointId, storeAsCheckpointId, cancellationToken).ConfigureAwait(false);
        return new SignalPollResult(signal, custom);
    }

    public Task AcknowledgeSignalAsync(string instanceId, SignalKind kind, CancellationToken cancellationToken) =>
        store.AcknowledgeSignalAsync(instanceId, kind, cancellationToken);

    public Task RecordRetryAttemptAsync(string instanceId, string checkpointId, int attemptNumber, string? errorMessage, long timestampMs, CancellationToken cancellationToken) =>
        store.RecordRetryAttemptAsync(instanceId, checkpointId, attemptNumber, errorMessage, cancellationToken);

    public async Task<InstanceStatusInfo> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        var instance = await store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return instance is null
            ? new InstanceStatusInfo(instanceId, InstanceStatus.Unknown, null, null, null, null, "Instance not found")
            : new InstanceStatusInfo(instanceId, instance.Status, instance.CheckpointId, instance.StartedAt, instance.FinishedAt, instance.Output, instance.Error);
    }

    public ValueTask DisposeAsync() => ownsStore ? store.DisposeAsync() : ValueTask.CompletedTask;
}

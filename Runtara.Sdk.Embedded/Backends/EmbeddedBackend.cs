using Runtara.Engine;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Protocol.Instance;
using Runtara.Sdk.Backends;

namespace Runtara.Sdk.Embedded.Backends;

/// <summary>
/// The instance protocol answered by an <see cref="EmbeddedEngine"/> in this process: each call goes
/// to the engine service the core's RPC handler calls for it, so the rules are the core's own. The
/// engine's failures surface as the <see cref="RpcException"/>s a core would send (same codes), so
/// the SDK handles both backends alike. One-way calls (signal acks, retry records) swallow failures
/// as they do on the wire.
/// </summary>
internal sealed class EmbeddedBackend(Task<EmbeddedEngine> opening, bool ownsEngine) : IInstanceBackend
{
    // Calls present no incarnation: the embedded database belongs to this one process, so there is
    // no relaunch elsewhere to fence against (docs/protocol.md "Incarnations").
    private const long Unfenced = IncarnationFence.NotPresented;

    // One process per database: never superseded.
    public InstanceSupersededException? Superseded(string instanceId) => null;

    // The engine opens (migrations, WAL set-up) while the connection is handed out; calls wait for it.
    public async Task<RegistrationResult> RegisterAsync(string instanceId, string tenantId, string? checkpointId, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            var registration = await engine.Instances.RegisterAsync(instanceId, tenantId, checkpointId, cancellationToken).ConfigureAwait(false);
            return new RegistrationResult(registration.LastCheckpointId is { Length: > 0 }, registration.RanBefore);
        }
        catch (CoreException ex)
        {
            throw new InstanceRegistrationException(instanceId, $"{ex.Code}: {ex.Message}", ex);
        }
    }

    public async ValueTask<CheckpointResult> CheckpointAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            var outcome = await engine.Checkpoints.SaveAsync(instanceId, checkpointId, state.ToArray(), Unfenced, cancellationToken).ConfigureAwait(false);
            return new CheckpointResult(
                outcome.Found,
                outcome.Found ? outcome.State : ReadOnlyMemory<byte>.Empty,
                EngineConversions.ToSdk(outcome.PendingSignal),
                EngineConversions.ToSdk(outcome.CustomSignal));
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async ValueTask<ReadOnlyMemory<byte>?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            var stored = await engine.Checkpoints.GetAsync(instanceId, checkpointId, fromInstance: true, cancellationToken).ConfigureAwait(false);
            // Typed so that "no checkpoint" stays null rather than becoming an empty memory.
            return stored is null ? (ReadOnlyMemory<byte>?)null : stored.State;
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async ValueTask<SleepResult> SleepAsync(string instanceId, string checkpointId, long durationMs, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        try
        {
            // The engine waits a short sleep inside the call, as the core does.
            var engine = await opening.ConfigureAwait(false);
            var outcome = await engine.Sleeper.SleepAsync(instanceId, (ulong)Math.Max(0, durationMs), checkpointId, state.ToArray(), Unfenced, cancellationToken).ConfigureAwait(false);
            return new SleepResult(outcome.Suspended, outcome.WakeAtMs);
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async Task SendEventAsync(InstanceEvent instanceEvent, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            await engine.Events.RecordAsync(ReportedEvent.FromWire(instanceEvent), Unfenced, cancellationToken).ConfigureAwait(false);
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async ValueTask<PendingSignal?> PollSignalsAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            var (signal, _) = await engine.Signals.PollAsync(instanceId, null, null, Unfenced, cancellationToken).ConfigureAwait(false);
            return EngineConversions.ToSdk(signal);
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async ValueTask<WaitCallResult> WaitAsync(string instanceId, string checkpointId, IReadOnlyList<string> signalNames, IReadOnlyList<string> childIds, long? timeoutMs, bool suspend, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            var result = await engine.Waits.WaitAsync(instanceId, checkpointId, signalNames, childIds, timeoutMs is { } t ? (ulong)Math.Max(0, t) : null, suspend, Unfenced, cancellationToken).ConfigureAwait(false);
            return new WaitCallResult(result.Outcome is { } outcome ? outcome : (ReadOnlyMemory<byte>?)null, result.Suspended, result.DeadlineMs, EngineConversions.ToSdk(result.Signal), result.DecidedNow);
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async ValueTask<ChildStartResult> StartChildAsync(string instanceId, string key, string image, ReadOnlyMemory<byte> input, bool detached, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            var outcome = await engine.Children.StartAsync(instanceId, key, image, input.ToArray(), detached, engine.MaxInputSize, Unfenced, cancellationToken).ConfigureAwait(false);
            return new ChildStartResult(outcome.ChildId, outcome.Created);
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async Task AcknowledgeSignalAsync(string instanceId, SignalKind kind, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            await engine.Signals.AcknowledgeAsync(instanceId, kind, acknowledged: true, Unfenced, cancellationToken).ConfigureAwait(false);
        }
        catch (CoreException)
        {
            // One-way on the wire: the core answers nothing, so the caller learns nothing either.
        }
    }

    public async Task RecordRetryAttemptAsync(string instanceId, string checkpointId, int attemptNumber, string? errorMessage, long timestampMs, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            await engine.Checkpoints.RecordRetryAttemptAsync(instanceId, checkpointId, attemptNumber, errorMessage, Unfenced, cancellationToken).ConfigureAwait(false);
        }
        catch (CoreException)
        {
            // One-way on the wire, as above.
        }
    }

    public async Task<InstanceStatusInfo> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            var engine = await opening.ConfigureAwait(false);
            var instance = await engine.Instances.GetAsync(instanceId, fromInstance: true, cancellationToken).ConfigureAwait(false);
            return instance is null
                ? new InstanceStatusInfo(instanceId, InstanceStatus.Unknown, null, null, null, null, "Instance not found")
                : new InstanceStatusInfo(
                    instanceId,
                    instance.Status,
                    instance.CheckpointId,
                    instance.StartedAtMs is { } started ? DateTimeOffset.FromUnixTimeMilliseconds(started) : null,
                    instance.FinishedAtMs is { } finished ? DateTimeOffset.FromUnixTimeMilliseconds(finished) : null,
                    instance.Output is { } output ? output : (ReadOnlyMemory<byte>?)null,
                    instance.Error);
        }
        catch (CoreException ex)
        {
            throw AsWireError(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (ownsEngine && opening.IsCompletedSuccessfully)
        {
            await opening.Result.DisposeAsync().ConfigureAwait(false);
        }
        else if (ownsEngine)
        {
            try
            {
                await (await opening.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // It never opened: nothing to close, and the failure was reported to the first caller.
            }
        }
    }

    // What the RPC server would send for the same failure (RpcServer maps every RuntaraException to its code).
    private static RpcException AsWireError(CoreException ex) => new(ex.Code, ex.Message, ex);
}

using Runtara.Protocol.Instance;

namespace Runtara.Sdk.Backends;

/// <summary>What a durable sleep call answered: whether the instance is now suspended, and its wake-up time (Unix ms).</summary>
internal readonly record struct SleepResult(bool Suspended, long WakeAtMs);

/// <summary>What RegisterInstance answered: whether the instance has a checkpoint (null: the backend cannot tell) and whether it ran before.</summary>
internal readonly record struct RegistrationResult(bool? HasCheckpoint, bool RanBefore);

/// <summary>What a durable wait call answered: the stored outcome (JSON) once decided, whether the instance is now suspended, the wait's deadline (0 = none) and any pending instance-wide signal.</summary>
internal readonly record struct WaitCallResult(ReadOnlyMemory<byte>? Outcome, bool Suspended, long DeadlineMs, PendingSignal? Signal, bool DecidedNow);

/// <summary>What StartChild answered: the child's id, and whether this call recorded it.</summary>
internal readonly record struct ChildStartResult(string ChildId, bool Created);

/// <summary>
/// The instance protocol as the SDK uses it, implemented by the core client (<see cref="Core.CoreBackend"/>)
/// and the embedded SQLite store (<c>EmbeddedBackend</c> in Runtara.Sdk.Embedded), so a workflow behaves the
/// same on both. Thread-safe: steps, heartbeats and the signal poller call it concurrently.
/// </summary>
internal interface IInstanceBackend : IAsyncDisposable
{
    /// <summary>
    /// RegisterInstance: PENDING/SUSPENDED/unknown → RUNNING. Returns whether the instance has a
    /// checkpoint (null when the backend cannot tell: ask <see cref="GetStatusAsync"/>) and whether it ran before. Throws
    /// <see cref="InstanceRegistrationException"/> when refused.
    /// </summary>
    Task<RegistrationResult> RegisterAsync(string instanceId, string tenantId, string? checkpointId, CancellationToken cancellationToken);

    /// <summary>
    /// Save-if-absent: found=true returns the stored state and writes nothing. <paramref name="state"/> is
    /// lent for the call only (a step's comes from a pooled buffer): a backend copies what it keeps.
    /// </summary>
    ValueTask<CheckpointResult> CheckpointAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken);

    /// <summary>Read-only lookup; null when the key has no checkpoint.</summary>
    ValueTask<ReadOnlyMemory<byte>?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken);

    /// <summary>Durable sleep of <paramref name="durationMs"/> at <paramref name="checkpointId"/>.</summary>
    ValueTask<SleepResult> SleepAsync(string instanceId, string checkpointId, long durationMs, ReadOnlyMemory<byte> state, CancellationToken cancellationToken);

    /// <summary>An acknowledged event (SPEC §12.2): returns once stored and applied.</summary>
    Task SendEventAsync(InstanceEvent instanceEvent, CancellationToken cancellationToken);

    /// <summary>PollSignals without a checkpoint: the pending instance-wide signal. Consumes nothing.</summary>
    ValueTask<PendingSignal?> PollSignalsAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Wait: decides the wait stored as <paramref name="checkpointId"/> (a signal at one of
    /// <paramref name="signalNames"/>, all of <paramref name="childIds"/> ended, or the deadline) or, with
    /// <paramref name="suspend"/>, suspends the instance on it. Idempotent: a decided wait answers from its checkpoint.
    /// </summary>
    ValueTask<WaitCallResult> WaitAsync(string instanceId, string checkpointId, IReadOnlyList<string> signalNames, IReadOnlyList<string> childIds, long? timeoutMs, bool suspend, CancellationToken cancellationToken);

    /// <summary>StartChild: records the child of (instance, key) once; a repeat returns the same child id.</summary>
    ValueTask<ChildStartResult> StartChildAsync(string instanceId, string key, string image, ReadOnlyMemory<byte> input, bool detached, CancellationToken cancellationToken);

    /// <summary>SignalAck(acknowledged=true), fire-and-forget on the wire.</summary>
    Task AcknowledgeSignalAsync(string instanceId, SignalKind kind, CancellationToken cancellationToken);

    /// <summary>RetryAttempt audit record, fire-and-forget on the wire.</summary>
    Task RecordRetryAttemptAsync(string instanceId, string checkpointId, int attemptNumber, string? errorMessage, long timestampMs, CancellationToken cancellationToken);

    /// <summary>
    /// Why this process may no longer write for <paramref name="instanceId"/>: a newer process registered
    /// it (the core answered STALE_INCARNATION); null while this process's registration is the current one.
    /// </summary>
    InstanceSupersededException? Superseded(string instanceId);

    /// <summary>GetInstanceStatus (unknown ids report <see cref="InstanceStatus.Unknown"/>).</summary>
    Task<InstanceStatusInfo> GetStatusAsync(string instanceId, CancellationToken cancellationToken);
}

namespace Runtara.Sdk;

/// <summary>An instance-wide signal delivered to the instance.</summary>
public sealed record PendingSignal(SignalKind Kind, ReadOnlyMemory<byte> Payload);

/// <summary>A checkpoint-scoped custom signal (SPEC §9.3): a payload sent to one wait point of the instance.</summary>
public sealed record CustomSignal(string CheckpointId, ReadOnlyMemory<byte> Payload);

/// <summary>
/// What a Checkpoint call answered (SPEC §8, §15.2): whether the key already existed (and its stored
/// state), plus any pending instance-wide signal and the custom signal consumed for this key.
/// </summary>
public sealed record CheckpointResult(bool Found, ReadOnlyMemory<byte> State, PendingSignal? Signal, CustomSignal? CustomSignal)
{
    /// <summary>The stored state when the key already existed; otherwise null.</summary>
    public ReadOnlyMemory<byte>? ExistingState => Found ? State : (ReadOnlyMemory<byte>?)null;

    /// <summary>A CANCEL signal is pending: the instance should stop and report the cancellation.</summary>
    public bool ShouldCancel => Signal?.Kind == SignalKind.Cancel;

    /// <summary>A PAUSE signal is pending: the instance should suspend until resumed.</summary>
    public bool ShouldPause => Signal?.Kind == SignalKind.Pause;

    /// <summary>Cancel or pause: the instance should stop running.</summary>
    public bool ShouldExit => ShouldCancel || ShouldPause;
}

/// <summary>An instance's status as read from the core or the embedded store.</summary>
public sealed record InstanceStatusInfo(
    string InstanceId,
    InstanceStatus Status,
    string? CheckpointId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    ReadOnlyMemory<byte>? Output,
    string? Error)
{
    /// <summary>False when the instance is unknown.</summary>
    public bool Found => Status != InstanceStatus.Unknown;
}

using Management = Runtara.Protocol.Management;
using Proto = Runtara.Protocol.Instance;

namespace Runtara.Sdk;

/// <summary>Status of an instance as the core reports it (SPEC §7).</summary>
public enum InstanceStatus
{
    Unknown = 0,
    Pending = 1,
    Running = 2,
    Suspended = 3,
    Completed = 4,
    Failed = 5,
    Cancelled = 6,
}

/// <summary>Instance-wide signals (SPEC §9.1).</summary>
public enum SignalKind
{
    Cancel = 0,
    Pause = 1,
    Resume = 2,

    /// <summary>
    /// A signal type this SDK does not know (a newer core). Ignored and logged: 1.4.1 treated it
    /// as CANCEL, which SPEC §19.20 calls a dangerous default.
    /// </summary>
    Unknown = -1,
}

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

    public bool ShouldCancel => Signal?.Kind == SignalKind.Cancel;

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

/// <summary>Conversions between the wire enums and the SDK's (SPEC §18.4 "type conversions").</summary>
public static class ProtocolConversions
{
    /// <summary>Status numbers 0–6 map one to one; anything else is <see cref="InstanceStatus.Unknown"/>.</summary>
    public static InstanceStatus ToStatus(int value) =>
        value is >= 0 and <= 6 ? (InstanceStatus)value : InstanceStatus.Unknown;

    public static InstanceStatus ToStatus(Proto.InstanceStatus value) => ToStatus((int)value);

    /// <summary>Signal numbers 0–2 map one to one; anything else is <see cref="SignalKind.Unknown"/> (never CANCEL, SPEC §19.20).</summary>
    public static SignalKind ToSignalKind(int value) =>
        value is >= 0 and <= 2 ? (SignalKind)value : SignalKind.Unknown;

    public static SignalKind ToSignalKind(Proto.SignalType value) => ToSignalKind((int)value);

    /// <summary>The wire value of a known signal kind.</summary>
    public static Proto.SignalType ToProto(SignalKind kind) => kind switch
    {
        SignalKind.Cancel => Proto.SignalType.SignalCancel,
        SignalKind.Pause => Proto.SignalType.SignalPause,
        SignalKind.Resume => Proto.SignalType.SignalResume,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only known signal kinds go on the wire."),
    };

    /// <summary>
    /// The lower-case storage name of a status, as the core and the environment store it
    /// (<see cref="Management.InstanceStatusNames"/>; the statuses share their numbers with the protocols').
    /// </summary>
    public static string ToStorageName(InstanceStatus status) =>
        status != InstanceStatus.Unknown && Enum.IsDefined(status) ? Management.InstanceStatusNames.ToStorageName((Management.InstanceStatus)status) : "unknown";

    /// <summary>Parses a storage name; unknown names are <see cref="InstanceStatus.Unknown"/>.</summary>
    public static InstanceStatus FromStorageName(string? name) =>
        Management.InstanceStatusNames.TryParseStorageName(name, out var status) ? (InstanceStatus)status : InstanceStatus.Unknown;

    internal static PendingSignal? ToSignal(Proto.Signal? signal) =>
        signal is null ? null : new PendingSignal(ToSignalKind(signal.SignalType), signal.Payload.Memory);

    internal static CustomSignal? ToCustomSignal(Proto.CustomSignal? signal) =>
        signal is null ? null : new CustomSignal(signal.CheckpointId, signal.Payload.Memory);
}

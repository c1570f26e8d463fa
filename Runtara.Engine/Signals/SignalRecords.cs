using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Engine.Signals;

/// <summary>Instance-wide signal types (SPEC §9.1).</summary>
public enum SignalKind
{
    Cancel,
    Pause,
    Resume,
}

/// <summary>Storage names and wire values of <see cref="SignalKind"/>.</summary>
public static class SignalKindExtensions
{
    /// <summary>An undefined signal number is refused (the original treated it as CANCEL, SPEC §19.20).</summary>
    public static SignalKind FromProto(Inst.SignalType type) => type switch
    {
        Inst.SignalType.SignalCancel => SignalKind.Cancel,
        Inst.SignalType.SignalPause => SignalKind.Pause,
        Inst.SignalType.SignalResume => SignalKind.Resume,
        _ => throw new CoreValidationException("signal_type", $"Unknown signal type: {(int)type}"),
    };

    public static SignalKind FromProto(Mgmt.SignalType type) => FromProto((Inst.SignalType)(int)type);

    public static Inst.SignalType ToProto(this SignalKind kind) => kind switch
    {
        SignalKind.Cancel => Inst.SignalType.SignalCancel,
        SignalKind.Pause => Inst.SignalType.SignalPause,
        SignalKind.Resume => Inst.SignalType.SignalResume,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string ToStorageName(this SignalKind kind) => kind switch
    {
        SignalKind.Cancel => "cancel",
        SignalKind.Pause => "pause",
        SignalKind.Resume => "resume",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static SignalKind? TryParseStorageName(string value) => value switch
    {
        "cancel" => SignalKind.Cancel,
        "pause" => SignalKind.Pause,
        "resume" => SignalKind.Resume,
        _ => null,
    };
}

/// <summary>The single pending instance-wide signal of an instance.</summary>
public sealed record PendingSignal(string InstanceId, SignalKind Kind, byte[] Payload, long CreatedAtMs);

/// <summary>A checkpoint-scoped custom signal, delivered once.</summary>
public sealed record CustomSignal(string CheckpointId, byte[] Payload);

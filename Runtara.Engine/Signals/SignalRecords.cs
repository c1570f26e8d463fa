using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Engine.Signals;

/// <summary>Storage names and wire values of <see cref="SignalKind"/>.</summary>
public static class SignalKindExtensions
{
    /// <summary>An undefined signal number is refused (the original treated it as CANCEL, SPEC §19.20).</summary>
    public static SignalKind FromProto(Inst.SignalType type) => Known(type.ToContract(), (int)type);

    /// <inheritdoc cref="FromProto(Inst.SignalType)"/>
    public static SignalKind FromProto(Mgmt.SignalType type) => Known(type.ToContract(), (int)type);

    /// <summary>The lower-case name stored in the signals table (<c>cancel</c>, <c>pause</c> or <c>resume</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not cancel, pause or resume.</exception>
    public static string ToStorageName(this SignalKind kind) => kind switch
    {
        SignalKind.Cancel => "cancel",
        SignalKind.Pause => "pause",
        SignalKind.Resume => "resume",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Reads a stored name back; null when <paramref name="value"/> is not one.</summary>
    public static SignalKind? TryParseStorageName(string value) => value switch
    {
        "cancel" => SignalKind.Cancel,
        "pause" => SignalKind.Pause,
        "resume" => SignalKind.Resume,
        _ => null,
    };

    private static SignalKind Known(SignalKind kind, int wireValue) =>
        kind is SignalKind.Unknown ? throw new CoreValidationException("signal_type", $"Unknown signal type: {wireValue}") : kind;
}

/// <summary>The single pending instance-wide signal of an instance.</summary>
public sealed record PendingSignal(string InstanceId, SignalKind Kind, byte[] Payload, long CreatedAtMs);

/// <summary>A checkpoint-scoped custom signal, delivered once.</summary>
public sealed record CustomSignal(string CheckpointId, byte[] Payload);

namespace Runtara.Engine.Signals;

/// <summary>Instance-wide signal types (SPEC §9.1).</summary>
public enum SignalKind
{
    Cancel,
    Pause,
    Resume,
}

/// <summary>Storage names of <see cref="SignalKind"/>.</summary>
public static class SignalKindExtensions
{
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

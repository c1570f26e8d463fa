namespace Runtara.Sdk.Embedded.Backends;

/// <summary>The engine's signal records as the SDK's (both use the shared <see cref="SignalKind"/>).</summary>
internal static class EngineConversions
{
    public static PendingSignal? ToSdk(Runtara.Engine.Signals.PendingSignal? signal) =>
        signal is null ? null : new PendingSignal(signal.Kind, signal.Payload);

    public static CustomSignal? ToSdk(Runtara.Engine.Signals.CustomSignal? signal) =>
        signal is null ? null : new CustomSignal(signal.CheckpointId, signal.Payload);
}

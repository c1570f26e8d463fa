using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using EngineSignalKind = Runtara.Engine.Signals.SignalKind;

namespace Runtara.Sdk.Embedded.Backends;

/// <summary>The engine's status and signal types as the SDK's, through their one wire mapping on each side.</summary>
internal static class EngineConversions
{
    public static InstanceStatus ToSdk(Runtara.Engine.Instances.InstanceStatus status) =>
        ProtocolConversions.ToStatus(status.ToInstanceProtoStatus());

    public static EngineSignalKind ToEngine(SignalKind kind) =>
        SignalKindExtensions.FromProto(ProtocolConversions.ToProto(kind));

    public static SignalKind ToSdk(EngineSignalKind kind) =>
        ProtocolConversions.ToSignalKind(kind.ToProto());

    public static PendingSignal? ToSdk(Runtara.Engine.Signals.PendingSignal? signal) =>
        signal is null ? null : new PendingSignal(ToSdk(signal.Kind), signal.Payload);

    public static CustomSignal? ToSdk(Runtara.Engine.Signals.CustomSignal? signal) =>
        signal is null ? null : new CustomSignal(signal.CheckpointId, signal.Payload);
}

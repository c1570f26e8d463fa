using Runtara.Protocol.Contracts;
using Proto = Runtara.Protocol.Instance;

namespace Runtara.Sdk;

/// <summary>
/// What the SDK's backends convert beyond the shared enum mapping (<see cref="ProtoEnumMapping"/>,
/// <see cref="InstanceStatusNames"/>): signal messages into the SDK's records.
/// </summary>
internal static class ProtocolConversions
{
    public static PendingSignal? ToSignal(Proto.Signal? signal) =>
        signal is null ? null : new PendingSignal(signal.SignalType.ToContract(), signal.Payload.Memory);

    public static CustomSignal? ToCustomSignal(Proto.CustomSignal? signal) =>
        signal is null ? null : new CustomSignal(signal.CheckpointId, signal.Payload.Memory);
}

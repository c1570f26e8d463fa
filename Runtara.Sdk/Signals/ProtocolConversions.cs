using Runtara.Protocol.Contracts;
using Proto = Runtara.Protocol.Instance;

namespace Runtara.Sdk;

/// <summary>
/// What the SDK's backends convert beyond the shared enum mapping (<see cref="ProtoEnumMapping"/>,
/// <see cref="InstanceStatusNames"/>): signal messages into the SDK's records, and the embedded store's lenient reads.
/// </summary>
internal static class ProtocolConversions
{
    /// <summary>
    /// A signal kind the embedded store kept as its wire number; unknown numbers are <see cref="SignalKind.Unknown"/>
    /// (never CANCEL, SPEC §19.20). The number is read as the protocol's enum, then mapped by name.
    /// </summary>
    public static SignalKind ToSignalKind(int value) => ((Proto.SignalType)value).ToContract();

    /// <summary>The stored name of a status, or <c>unknown</c> for one that is never stored (used in messages).</summary>
    public static string ToStorageName(InstanceStatus status) =>
        status != InstanceStatus.Unknown && Enum.IsDefined(status) ? status.ToStorageName() : "unknown";

    /// <summary>Parses a stored name; other names are <see cref="InstanceStatus.Unknown"/>.</summary>
    public static InstanceStatus FromStorageName(string? name)
    {
        InstanceStatusNames.TryParseStorageName(name, out var status);
        return status;
    }

    public static PendingSignal? ToSignal(Proto.Signal? signal) =>
        signal is null ? null : new PendingSignal(signal.SignalType.ToContract(), signal.Payload.Memory);

    public static CustomSignal? ToCustomSignal(Proto.CustomSignal? signal) =>
        signal is null ? null : new CustomSignal(signal.CheckpointId, signal.Payload.Memory);
}

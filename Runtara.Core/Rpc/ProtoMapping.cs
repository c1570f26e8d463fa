using System.Runtime.InteropServices;
using Google.Protobuf;
using Runtara.Engine;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Rpc;

/// <summary>Conversions between wire enums/messages and the core's own types, in one place.</summary>
internal static class ProtoMapping
{
    /// <summary>SPEC §12.1: unknown event numbers are heartbeats.</summary>
    public static EventKind FromProto(Inst.InstanceEventType type) => type switch
    {
        Inst.InstanceEventType.EventCompleted => EventKind.Completed,
        Inst.InstanceEventType.EventFailed => EventKind.Failed,
        Inst.InstanceEventType.EventSuspended => EventKind.Suspended,
        Inst.InstanceEventType.EventCustom => EventKind.Custom,
        _ => EventKind.Heartbeat,
    };

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

    public static Inst.Signal ToProto(this PendingSignal signal) => new()
    {
        InstanceId = signal.InstanceId,
        SignalType = signal.Kind.ToProto(),
        Payload = ByteString.CopyFrom(signal.Payload),
    };

    public static Inst.CustomSignal ToProto(this CustomSignal signal) => new()
    {
        CheckpointId = signal.CheckpointId,
        Payload = ByteString.CopyFrom(signal.Payload),
    };

    /// <summary>
    /// The bytes of a received message field as an array, without copying when the field owns a whole
    /// array (a parsed message always does: protobuf copies each bytes field out of the frame). The
    /// array is shared with the message, so it is treated as read-only, as the <see cref="ByteString"/> is.
    /// </summary>
    public static byte[] ToBytes(this ByteString value) =>
        value.IsEmpty ? []
        : MemoryMarshal.TryGetArray(value.Memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array
        : value.ToByteArray();

    /// <summary>The status fields both protocols share (SPEC §4.1 GetInstanceStatusResponse).</summary>
    public static Inst.GetInstanceStatusResponse ToInstanceStatusProto(this InstanceRecord? instance, string instanceId)
    {
        if (instance is null)
        {
            return new Inst.GetInstanceStatusResponse { InstanceId = instanceId, Status = Inst.InstanceStatus.StatusUnknown, Error = "Instance not found" };
        }

        var response = new Inst.GetInstanceStatusResponse
        {
            InstanceId = instance.InstanceId,
            Status = instance.Status.ToInstanceProtoStatus(),
            StartedAtMs = instance.StartedAtMs ?? 0,
        };
        if (instance.CheckpointId is not null)
        {
            response.CheckpointId = instance.CheckpointId;
        }

        if (instance.FinishedAtMs is { } finished)
        {
            response.FinishedAtMs = finished;
        }

        if (instance.Output is not null)
        {
            response.Output = ByteString.CopyFrom(instance.Output);
        }

        if (instance.Error is not null)
        {
            response.Error = instance.Error;
        }

        return response;
    }
}

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
    public static Inst.Signal ToProto(this PendingSignal signal) => new()
    {
        InstanceId = signal.InstanceId,
        SignalType = signal.Kind.ToInstanceProto(),
        Payload = ByteString.CopyFrom(signal.Payload),
    };

    public static Inst.CustomSignal ToProto(this CustomSignal signal) => new()
    {
        CheckpointId = signal.CheckpointId,
        Payload = ByteString.CopyFrom(signal.Payload),
    };

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
            Status = instance.Status.ToInstanceProto(),
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

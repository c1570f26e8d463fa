using System.Buffers.Binary;
using Google.Protobuf;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>Produces complete frames: valid requests, bit-flipped requests, random payloads, odd types, rare oversize headers.</summary>
internal sealed class FrameMutator(Random random)
{
    private readonly byte[][] _templates =
    [
        Encode(new Inst.RpcRequest { RegisterInstance = new() { InstanceId = "i", TenantId = "t", CheckpointId = "c" } }),
        Encode(new Inst.RpcRequest { Checkpoint = new() { InstanceId = "i", CheckpointId = "c", State = ByteString.CopyFromUtf8("{\"a\":1}") } }),
        Encode(new Inst.RpcRequest { GetCheckpoint = new() { InstanceId = "i", CheckpointId = "c" } }),
        Encode(new Inst.RpcRequest { Sleep = new() { InstanceId = "i", DurationMs = 5 } }),
        Encode(new Inst.RpcRequest { InstanceEvent = new() { InstanceId = "i", EventType = Inst.InstanceEventType.EventCustom, Subtype = "x", Payload = ByteString.CopyFromUtf8("p") } }),
        Encode(new Inst.RpcRequest { InstanceEventBatch = new() { Events = { new Inst.InstanceEvent { InstanceId = "i" } } } }),
        Encode(new Inst.RpcRequest { PollSignals = new() { InstanceId = "i", CheckpointId = "c" } }),
        Encode(new Inst.RpcRequest { SignalAck = new() { InstanceId = "i", Acknowledged = true } }),
        Encode(new Inst.RpcRequest { RetryAttempt = new() { InstanceId = "i", CheckpointId = "c", AttemptNumber = 2 } }),
        Encode(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "i" }, Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
    ];

    public byte[] Next()
    {
        var roll = random.Next(100);
        byte[] payload;
        ushort type;
        if (roll < 1)
        {
            // Oversize announcement: header only (the server must refuse before reading on).
            var header = new byte[6];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)random.Next(Fuzzing.MaxFrameSize + 1, int.MaxValue));
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
            return header;
        }
        else if (roll < 30)
        {
            payload = (byte[])_templates[random.Next(_templates.Length)].Clone();
            for (var flips = random.Next(1, 4); flips > 0 && payload.Length > 0; flips--)
            {
                payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
            }

            type = 1;
        }
        else if (roll < 55)
        {
            payload = new byte[random.Next(0, 200)];
            random.NextBytes(payload);
            type = 1;
        }
        else if (roll < 70)
        {
            payload = new byte[random.Next(0, 64)];
            random.NextBytes(payload);
            type = (ushort)random.Next(0, 65536);
            if (type == 3)
            {
                type = 1;
            }
        }
        else if (roll < 73)
        {
            // A stream start that is not an upload (or not decodable): answered, then the connection closes.
            payload = _templates[random.Next(_templates.Length)];
            type = 3;
        }
        else
        {
            payload = _templates[random.Next(_templates.Length)];
            type = (ushort)(roll < 90 ? 1 : random.Next(4, 7));
        }

        var frame = new byte[6 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), type);
        payload.CopyTo(frame.AsSpan(6));
        return frame;
    }

    private static byte[] Encode(Inst.RpcRequest request) => request.ToByteArray();
}

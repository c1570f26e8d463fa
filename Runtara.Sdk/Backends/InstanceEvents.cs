using System.Text;
using Google.Protobuf;
using Runtara.Protocol.Instance;

namespace Runtara.Sdk.Backends;

/// <summary>Builders of the instance events the SDK sends (SPEC §12, §18.4 "event builders").</summary>
internal static class InstanceEvents
{
    public static InstanceEvent Heartbeat(string instanceId, long timestampMs) =>
        Create(instanceId, InstanceEventType.EventHeartbeat, timestampMs);

    /// <summary>COMPLETED with the workflow output (UTF-8 JSON).</summary>
    public static InstanceEvent Completed(string instanceId, ReadOnlyMemory<byte> output, long timestampMs)
    {
        var e = Create(instanceId, InstanceEventType.EventCompleted, timestampMs);
        e.Payload = ByteString.CopyFrom(output.Span);
        return e;
    }

    /// <summary>FAILED with the error text as UTF-8.</summary>
    public static InstanceEvent Failed(string instanceId, string error, long timestampMs)
    {
        var e = Create(instanceId, InstanceEventType.EventFailed, timestampMs);
        e.Payload = ByteString.CopyFromUtf8(error);
        return e;
    }

    /// <summary>SUSPENDED at <paramref name="checkpointId"/> (pause).</summary>
    public static InstanceEvent Suspended(string instanceId, string? checkpointId, long timestampMs)
    {
        var e = Create(instanceId, InstanceEventType.EventSuspended, timestampMs);
        if (checkpointId is not null)
        {
            e.CheckpointId = checkpointId;
        }

        return e;
    }

    /// <summary>CUSTOM with a subtype (e.g. progress or debug events) and an arbitrary payload.</summary>
    public static InstanceEvent Custom(string instanceId, string subtype, ReadOnlyMemory<byte> payload, long timestampMs)
    {
        ArgumentException.ThrowIfNullOrEmpty(subtype);
        var e = Create(instanceId, InstanceEventType.EventCustom, timestampMs);
        e.Subtype = subtype;
        e.Payload = ByteString.CopyFrom(payload.Span);
        return e;
    }

    /// <summary>The lower-case storage name of an event type (unknown numbers are heartbeats, SPEC §12.1).</summary>
    public static string StorageName(InstanceEventType type) => type switch
    {
        InstanceEventType.EventCompleted => "completed",
        InstanceEventType.EventFailed => "failed",
        InstanceEventType.EventSuspended => "suspended",
        InstanceEventType.EventCustom => "custom",
        _ => "heartbeat",
    };

    /// <summary>The FAILED payload as text, as the core reads it (SPEC §12.1).</summary>
    public static string ErrorText(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return "Unknown error";
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return "Unknown error (binary payload)";
        }
    }

    private static InstanceEvent Create(string instanceId, InstanceEventType type, long timestampMs)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        return new InstanceEvent { InstanceId = instanceId, EventType = type, TimestampMs = timestampMs };
    }
}

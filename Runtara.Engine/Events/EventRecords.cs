using Inst = Runtara.Protocol.Instance;

namespace Runtara.Engine.Events;

/// <summary>Stored event types (SPEC §12, §13).</summary>
public enum EventKind
{
    Started,
    Heartbeat,
    Completed,
    Failed,
    Suspended,
    Custom,
}

/// <summary>Storage names and wire values of <see cref="EventKind"/>.</summary>
public static class EventKindExtensions
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

    public static string ToStorageName(this EventKind kind) => kind switch
    {
        EventKind.Started => "started",
        EventKind.Heartbeat => "heartbeat",
        EventKind.Completed => "completed",
        EventKind.Failed => "failed",
        EventKind.Suspended => "suspended",
        EventKind.Custom => "custom",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static EventKind? TryParseStorageName(string value) => value switch
    {
        "started" => EventKind.Started,
        "heartbeat" => EventKind.Heartbeat,
        "completed" => EventKind.Completed,
        "failed" => EventKind.Failed,
        "suspended" => EventKind.Suspended,
        "custom" => EventKind.Custom,
        _ => null,
    };
}

/// <summary>An event to store. <see cref="CreatedAtMs"/> is the server clock; the client's time is kept apart (SPEC §19.13).</summary>
public sealed record NewEvent(string InstanceId, EventKind Kind, string? CheckpointId, byte[]? Payload, string? Subtype, long CreatedAtMs, long? ClientTimestampMs);

/// <summary>A stored event.</summary>
public sealed record EventRecord(long Id, string InstanceId, EventKind Kind, string? CheckpointId, byte[]? Payload, string? Subtype, long CreatedAtMs, long? ClientTimestampMs);

using Inst = Runtara.Protocol.Instance;

namespace Runtara.Engine.Events;

/// <summary>Stored event types (SPEC §12, §13).</summary>
public enum EventKind
{
    /// <summary>The instance registered (first start, wake or resume); recorded by the core, not sent by the instance.</summary>
    Started,
    /// <summary>The instance is alive; also what unknown wire event types are stored as.</summary>
    Heartbeat,
    /// <summary>The instance finished; its payload is the output. Moves the instance to COMPLETED.</summary>
    Completed,
    /// <summary>The instance failed; its payload is the error text. Moves the instance to FAILED.</summary>
    Failed,
    /// <summary>The instance stopped to be woken or resumed later. Moves the instance to SUSPENDED.</summary>
    Suspended,
    /// <summary>An application event with a subtype and payload; no status change.</summary>
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

    /// <summary>The lower-case name stored in the events table (e.g. <c>completed</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined value.</exception>
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

    /// <summary>Reads a stored name back; null when <paramref name="value"/> is not one.</summary>
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

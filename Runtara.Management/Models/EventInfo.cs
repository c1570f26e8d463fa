namespace Runtara.Management;

/// <summary>One stored event of an instance.</summary>
/// <param name="Id">The event's id; ids grow with insertion order.</param>
/// <param name="InstanceId">The instance that reported it.</param>
/// <param name="EventType"><c>started</c>, <c>heartbeat</c>, <c>completed</c>, <c>failed</c>, <c>suspended</c> or <c>custom</c>.</param>
/// <param name="Subtype">The application's name for a custom event; null otherwise.</param>
/// <param name="CheckpointId">The checkpoint the event refers to, if any.</param>
/// <param name="CreatedAt">When the core stored it (server clock).</param>
/// <param name="Payload">The event's payload (a completed event's output, a failed event's error text), if any.</param>
public sealed record EventInfo(long Id, string InstanceId, string EventType, string? Subtype, string? CheckpointId, DateTimeOffset CreatedAt, byte[]? Payload);

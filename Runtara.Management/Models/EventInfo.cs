namespace Runtara.Management;

public sealed record EventInfo(long Id, string InstanceId, string EventType, string? Subtype, string? CheckpointId, DateTimeOffset CreatedAt, byte[]? Payload);

namespace Runtara.Management;

public sealed record CheckpointInfo(string CheckpointId, string InstanceId, DateTimeOffset CreatedAt, long SizeBytes);

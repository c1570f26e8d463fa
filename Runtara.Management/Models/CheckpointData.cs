namespace Runtara.Management;

public sealed record CheckpointData(string CheckpointId, string InstanceId, DateTimeOffset CreatedAt, byte[] Data);

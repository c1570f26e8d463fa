namespace Runtara.Management;

public sealed record CheckpointList(IReadOnlyList<CheckpointInfo> Checkpoints, long TotalCount, int Limit, int Offset);

namespace Runtara.Management;

/// <summary>One page of an instance's checkpoints.</summary>
/// <param name="Checkpoints">The checkpoints on this page.</param>
/// <param name="TotalCount">How many checkpoints the instance has in all.</param>
/// <param name="Limit">The page size the server applied.</param>
/// <param name="Offset">How many checkpoints were skipped before this page.</param>
/// <param name="NextOffset">The offset of the next page, or null on the last one. Page with this, not with Offset + Limit: the server ends a page early when its answer would pass its byte budget.</param>
public sealed record CheckpointList(IReadOnlyList<CheckpointInfo> Checkpoints, long TotalCount, int Limit, int Offset, int? NextOffset = null);

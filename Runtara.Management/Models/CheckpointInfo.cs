namespace Runtara.Management;

/// <summary>One checkpoint in a <see cref="CheckpointList"/>, without its state.</summary>
/// <param name="CheckpointId">The checkpoint's key (for an SDK step, the step key).</param>
/// <param name="InstanceId">The instance it belongs to.</param>
/// <param name="CreatedAt">When it was first saved.</param>
/// <param name="SizeBytes">The size of its state, in bytes.</param>
public sealed record CheckpointInfo(string CheckpointId, string InstanceId, DateTimeOffset CreatedAt, long SizeBytes);

namespace Runtara.Management;

/// <summary>A stored checkpoint with its state (GetCheckpoint).</summary>
/// <param name="CheckpointId">The checkpoint's key (for an SDK step, the step key).</param>
/// <param name="InstanceId">The instance it belongs to.</param>
/// <param name="CreatedAt">When it was first saved.</param>
/// <param name="Data">The saved state, as the instance wrote it (the SDK writes UTF-8 JSON).</param>
public sealed record CheckpointData(string CheckpointId, string InstanceId, DateTimeOffset CreatedAt, byte[] Data);

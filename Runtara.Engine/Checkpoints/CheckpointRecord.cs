namespace Runtara.Engine.Checkpoints;

/// <summary>One stored checkpoint (append-only; one row per key).</summary>
public sealed record CheckpointRecord(string InstanceId, string CheckpointId, byte[] State, long CreatedAtMs);

/// <summary>A checkpoint listed without its state.</summary>
public sealed record CheckpointSummary(string InstanceId, string CheckpointId, long CreatedAtMs, long SizeBytes);

/// <summary>The outcome of an atomic save-if-absent: whether this call stored it, and the stored row.</summary>
public sealed record CheckpointSaveResult(bool Inserted, CheckpointRecord Stored);

/// <summary>One retry-attempt audit record (SPEC §11), kept apart from checkpoints.</summary>
public sealed record RetryAttemptRecord(string InstanceId, string CheckpointId, int AttemptNumber, string? ErrorMessage, long CreatedAtMs);

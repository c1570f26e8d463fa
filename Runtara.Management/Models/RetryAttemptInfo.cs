namespace Runtara.Management;

/// <summary>One recorded retry of a durable step: <see cref="CheckpointId"/> is the step's key.</summary>
public sealed record RetryAttemptInfo(string InstanceId, string CheckpointId, int AttemptNumber, string? ErrorMessage, DateTimeOffset CreatedAt);

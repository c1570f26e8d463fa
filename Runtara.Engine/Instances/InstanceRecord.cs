namespace Runtara.Engine.Instances;

/// <summary>One stored instance. Times are Unix epoch milliseconds on the server's clock.</summary>
public sealed record InstanceRecord
{
    public required string InstanceId { get; init; }

    public required string TenantId { get; init; }

    public required InstanceStatus Status { get; init; }

    /// <summary>The last checkpoint saved fresh (SPEC §8).</summary>
    public string? CheckpointId { get; init; }

    public required long CreatedAtMs { get; init; }

    public long? StartedAtMs { get; init; }

    public long? FinishedAtMs { get; init; }

    /// <summary>Last RPC, event or checkpoint from the instance (heartbeat monitor input).</summary>
    public long? LastActivityMs { get; init; }

    /// <summary>Wake-up time while SUSPENDED by a durable sleep.</summary>
    public long? SleepUntilMs { get; init; }

    /// <summary>Until when a ListDueWakeups caller holds the relaunch of this instance.</summary>
    public long? WakeLeaseUntilMs { get; init; }

    public byte[]? Output { get; init; }

    public string? Error { get; init; }
}

/// <summary>What a registration found: the status before it (null for a new instance) and the last checkpoint id.</summary>
public sealed record Registration(InstanceStatus? Previous, string? LastCheckpointId);

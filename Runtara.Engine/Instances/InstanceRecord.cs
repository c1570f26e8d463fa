namespace Runtara.Engine.Instances;

/// <summary>One stored instance. Times are Unix epoch milliseconds on the server's clock.</summary>
public sealed record InstanceRecord
{
    /// <summary>The instance id (the primary key).</summary>
    public required string InstanceId { get; init; }

    /// <summary>The tenant that owns the instance.</summary>
    public required string TenantId { get; init; }

    /// <summary>The current status (SPEC §7).</summary>
    public required InstanceStatus Status { get; init; }

    /// <summary>The last checkpoint saved fresh (SPEC §8).</summary>
    public string? CheckpointId { get; init; }

    /// <summary>When the instance was first registered.</summary>
    public required long CreatedAtMs { get; init; }

    /// <summary>When it first ran; kept across wakes and resumes.</summary>
    public long? StartedAtMs { get; init; }

    /// <summary>When it reached COMPLETED or FAILED; null before.</summary>
    public long? FinishedAtMs { get; init; }

    /// <summary>Last RPC, event or checkpoint from the instance (heartbeat monitor input).</summary>
    public long? LastActivityMs { get; init; }

    /// <summary>Wake-up time while SUSPENDED by a durable sleep.</summary>
    public long? SleepUntilMs { get; init; }

    /// <summary>Until when a ListDueWakeups caller holds the relaunch of this instance.</summary>
    public long? WakeLeaseUntilMs { get; init; }

    /// <summary>The payload of the completed event; null unless COMPLETED with a non-empty output.</summary>
    public byte[]? Output { get; init; }

    /// <summary>The error text of the failed event; null unless FAILED.</summary>
    public string? Error { get; init; }

    /// <summary>What the instance waits for while SUSPENDED on a durable wait (<see cref="Waits.WaitPoint"/> JSON); null otherwise.</summary>
    public string? WaitingFor { get; init; }

    /// <summary>
    /// How many times a process registered (RegisterInstance counts it up; 0 before the first). Writes
    /// from a process that presents an older number are refused (<see cref="IncarnationFence"/>).
    /// </summary>
    public long Incarnation { get; init; }
}

/// <summary>What a registration found: the status before it (null for a new instance), the last checkpoint id, and the incarnation it gave the caller.</summary>
public sealed record Registration(InstanceStatus? Previous, string? LastCheckpointId, long Incarnation = 0)
{
    /// <summary>True when a process of the instance registered before (it was running or suspended): this is a relaunch.</summary>
    public bool RanBefore => Previous is InstanceStatus.Running or InstanceStatus.Suspended;
}

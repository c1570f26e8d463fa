using System.Text.Json;
using System.Text.Json.Serialization;
using Runtara.Protocol.Contracts;

namespace Runtara.Management;

/// <summary>An instance's status and run details (<see cref="RuntaraManagementClient.GetInstanceAsync"/>). Times are UTC.</summary>
public sealed record InstanceInfo
{
    /// <summary>The instance's id.</summary>
    public required string InstanceId { get; init; }

    /// <summary>The tenant that owns it.</summary>
    public required string TenantId { get; init; }

    /// <summary>Its current status.</summary>
    public InstanceStatus Status { get; init; }

    /// <summary>The image it runs.</summary>
    public string ImageId { get; init; } = string.Empty;

    /// <summary>The name of that image.</summary>
    public string ImageName { get; init; } = string.Empty;

    /// <summary>The image version the instance is pinned to: every relaunch (wake, resume, retry) runs it.</summary>
    public int ImageVersion { get; init; } = 1;

    /// <summary>For a re-run or fork, where it came from (e.g. <c>fork of order-7 at step:charge</c>); null otherwise.</summary>
    public string? Origin { get; init; }

    /// <summary>The last checkpoint it saved; null before the first.</summary>
    public string? CheckpointId { get; init; }

    /// <summary>When it was started (StartInstance).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it first ran; null before.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it reached a final status; null before.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The output JSON (absent when none or not JSON).</summary>
    public JsonElement? Output { get; init; }

    /// <summary>The error text when FAILED; null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>The input JSON it was started with (absent when none or not JSON).</summary>
    public JsonElement? Input { get; init; }

    /// <summary>Its last RPC, event or checkpoint at the core (or, from an older environment, its last heartbeat).</summary>
    public DateTimeOffset? LastActivityAt { get; init; }

    /// <summary>When a durable sleep ends, while SUSPENDED by one.</summary>
    public DateTimeOffset? WakeAt { get; init; }

    /// <summary>How many times a crashed or silent run was relaunched (0 on the first run).</summary>
    public int RetryCount { get; init; }

    /// <summary>How many relaunches it may have before it is marked FAILED.</summary>
    public int MaxRetries { get; init; }

    /// <summary>How many processes were launched for it (start, retries, resumes, wake-ups).</summary>
    public int LaunchCount { get; init; }

    /// <summary>Peak resident memory of its last process, in bytes, when measured.</summary>
    public long? MemoryPeakBytes { get; init; }

    /// <summary>CPU time (user + system) of its last process, in microseconds, when measured.</summary>
    public long? CpuUsageUsec { get; init; }

    /// <summary>Exit code of its last process, once it exited.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Process id while a process of it runs.</summary>
    public int? Pid { get; init; }

    /// <summary>The tail of its last process's standard error, if any was captured.</summary>
    public string? Stderr { get; init; }

    /// <summary>What it waits for while SUSPENDED by a durable wait (signals, children, a deadline); null otherwise or from an environment that does not report it.</summary>
    public WaitingForInfo? WaitingFor { get; init; }

    /// <summary>The instance that started this one as its child; null for an instance started directly.</summary>
    public string? ParentId { get; init; }

    /// <summary>
    /// What the instance waits for, in words (<see cref="WaitingForInfo.Describe"/>), e.g.
    /// <c>waiting for signal approve until 2026-12-03T12:00:00Z</c>; for a durable sleep
    /// <c>sleeping until 2026-12-06T12:00:00Z</c>; null when it waits for nothing (running, paused, ended).
    /// </summary>
    public string? DescribeWait() =>
        IsTerminal ? null
        : WaitingFor?.Describe() ?? (Status == InstanceStatus.Suspended && WakeAt is { } wake ? $"sleeping until {WaitingForInfo.FormatTime(wake)}" : null);

    /// <summary>True when COMPLETED, FAILED or CANCELLED: the status will not change again.</summary>
    [JsonIgnore]
    public bool IsTerminal => Status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Runtara.Protocol.Contracts;

namespace Runtara.Management;

public sealed record InstanceInfo
{
    public required string InstanceId { get; init; }

    public required string TenantId { get; init; }

    public InstanceStatus Status { get; init; }

    public string ImageId { get; init; } = string.Empty;

    public string ImageName { get; init; } = string.Empty;

    public string? CheckpointId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The output JSON (absent when none or not JSON).</summary>
    public JsonElement? Output { get; init; }

    public string? Error { get; init; }

    public JsonElement? Input { get; init; }

    public DateTimeOffset? LastActivityAt { get; init; }

    public DateTimeOffset? WakeAt { get; init; }

    public int RetryCount { get; init; }

    public int MaxRetries { get; init; }

    public int LaunchCount { get; init; }

    public long? MemoryPeakBytes { get; init; }

    public long? CpuUsageUsec { get; init; }

    public int? ExitCode { get; init; }

    public int? Pid { get; init; }

    public string? Stderr { get; init; }

    [JsonIgnore]
    public bool IsTerminal => Status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;
}

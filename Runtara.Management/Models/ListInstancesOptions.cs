using Runtara.Protocol.Contracts;

namespace Runtara.Management;

/// <summary>Filters, order and page of <see cref="RuntaraManagementClient.ListInstancesAsync"/>; unset filters match everything.</summary>
public sealed class ListInstancesOptions
{
    /// <summary>Only this tenant's instances; default: the client's <see cref="ManagementClientOptions.TenantId"/>, else every tenant the key may see.</summary>
    public string? TenantId { get; set; }

    /// <summary>Only instances in this status.</summary>
    public InstanceStatus? Status { get; set; }

    /// <summary>Only instances of this image.</summary>
    public string? ImageId { get; set; }

    /// <summary>Only instances whose image name starts with this.</summary>
    public string? ImageNamePrefix { get; set; }

    /// <summary>Only instances started after this time.</summary>
    public DateTimeOffset? CreatedAfter { get; set; }

    /// <summary>Only instances started before this time.</summary>
    public DateTimeOffset? CreatedBefore { get; set; }

    /// <summary>Only instances finished after this time.</summary>
    public DateTimeOffset? FinishedAfter { get; set; }

    /// <summary>Only instances finished before this time.</summary>
    public DateTimeOffset? FinishedBefore { get; set; }

    /// <summary>The order of the results (default newest first).</summary>
    public InstanceOrder Order { get; set; } = InstanceOrder.CreatedAtDesc;

    /// <summary>Page size (SPEC default 100).</summary>
    public int Limit { get; set; } = 100;

    /// <summary>How many matching instances to skip (default 0).</summary>
    public int Offset { get; set; }
}

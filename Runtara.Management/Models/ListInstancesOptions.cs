using Runtara.Protocol.Contracts;

namespace Runtara.Management;

public sealed class ListInstancesOptions
{
    public string? TenantId { get; set; }

    public InstanceStatus? Status { get; set; }

    public string? ImageId { get; set; }

    public string? ImageNamePrefix { get; set; }

    public DateTimeOffset? CreatedAfter { get; set; }

    public DateTimeOffset? CreatedBefore { get; set; }

    public DateTimeOffset? FinishedAfter { get; set; }

    public DateTimeOffset? FinishedBefore { get; set; }

    public InstanceOrder Order { get; set; } = InstanceOrder.CreatedAtDesc;

    /// <summary>Page size (SPEC default 100).</summary>
    public int Limit { get; set; } = 100;

    public int Offset { get; set; }
}

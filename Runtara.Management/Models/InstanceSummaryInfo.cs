using Runtara.Protocol.Contracts;

namespace Runtara.Management;

public sealed record InstanceSummaryInfo(
    string InstanceId,
    string TenantId,
    string ImageId,
    InstanceStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool HasError);

using Runtara.Protocol.Contracts;

namespace Runtara.Management;

/// <summary>One instance in an <see cref="InstanceList"/>; <see cref="RuntaraManagementClient.GetInstanceAsync"/> has the details.</summary>
/// <param name="InstanceId">The instance's id.</param>
/// <param name="TenantId">The tenant that owns it.</param>
/// <param name="ImageId">The image it runs.</param>
/// <param name="Status">Its current status.</param>
/// <param name="CreatedAt">When it was started.</param>
/// <param name="StartedAt">When its first process started; null before.</param>
/// <param name="FinishedAt">When it reached a final status; null before.</param>
/// <param name="HasError">True when it failed with an error text.</param>
/// <param name="ImageName">The name of its image; empty from an environment that does not send it.</param>
public sealed record InstanceSummaryInfo(
    string InstanceId,
    string TenantId,
    string ImageId,
    InstanceStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool HasError,
    string ImageName = "");

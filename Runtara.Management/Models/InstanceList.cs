namespace Runtara.Management;

/// <summary>One page of instances (<see cref="RuntaraManagementClient.ListInstancesAsync"/>).</summary>
/// <param name="Instances">The instances on this page.</param>
/// <param name="TotalCount">How many instances match in all.</param>
public sealed record InstanceList(IReadOnlyList<InstanceSummaryInfo> Instances, long TotalCount);

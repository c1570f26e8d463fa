namespace Runtara.Management;

public sealed record InstanceList(IReadOnlyList<InstanceSummaryInfo> Instances, long TotalCount);

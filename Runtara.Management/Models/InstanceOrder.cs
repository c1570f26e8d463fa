namespace Runtara.Management;

/// <summary>Orderings of <see cref="ListInstancesOptions"/>.</summary>
public enum InstanceOrder
{
    CreatedAtDesc,
    CreatedAtAsc,
    FinishedAtDesc,
    FinishedAtAsc,
}

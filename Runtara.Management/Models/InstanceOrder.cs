namespace Runtara.Management;

/// <summary>Orderings of <see cref="ListInstancesOptions"/>.</summary>
public enum InstanceOrder
{
    /// <summary>Newest first (the default).</summary>
    CreatedAtDesc,
    /// <summary>Oldest first.</summary>
    CreatedAtAsc,
    /// <summary>Most recently finished first.</summary>
    FinishedAtDesc,
    /// <summary>Earliest finished first.</summary>
    FinishedAtAsc,
}

namespace Runtara.Engine.Children;

/// <summary>A child instance as its parent recorded it (StartChild).</summary>
/// <param name="ChildId">The child's instance id (<see cref="ChildIds.Derive"/>).</param>
/// <param name="ParentId">The instance that started it.</param>
/// <param name="Key">The parent's key for it: one child per (parent, key).</param>
/// <param name="Image">Image name or id, in the parent's tenant.</param>
/// <param name="Input">The child's input.</param>
/// <param name="Detached">True when cancelling the parent leaves the child running.</param>
/// <param name="CreatedAtMs">When it was recorded.</param>
public sealed record ChildRecord(string ChildId, string ParentId, string Key, string Image, byte[] Input, bool Detached, long CreatedAtMs);

/// <summary>A recorded child not yet started: what the environment needs to start it.</summary>
public sealed record ChildStart(string ChildId, string ParentId, string TenantId, string Image, byte[] Input)
{
    /// <summary>An upper bound of the bytes this start takes in a list answer (UTF-8 worst case for the strings, plus field overhead).</summary>
    public long EstimatedBytes => Input.LongLength + (3L * (ChildId.Length + ParentId.Length + TenantId.Length + Image.Length)) + 64;
}

/// <summary>What StartChild answered: the child's id, and whether this call recorded it.</summary>
public sealed record ChildStartOutcome(string ChildId, bool Created);

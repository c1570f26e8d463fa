namespace Runtara.Engine.Instances;

/// <summary>
/// The engine's reading of the shared <see cref="InstanceStatus"/> (Runtara.Protocol.Contracts): its
/// storage names and wire values come from there; what the rules add is which statuses are final.
/// </summary>
public static class InstanceStatusRules
{
    /// <summary>COMPLETED, FAILED and CANCELLED: nothing moves an instance out of them.</summary>
    public static bool IsTerminal(this InstanceStatus status) =>
        status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;

    /// <summary>A wire status the rules know; UNKNOWN and undefined values are null.</summary>
    public static InstanceStatus? Known(InstanceStatus status) =>
        status is >= InstanceStatus.Pending and <= InstanceStatus.Cancelled ? status : null;
}

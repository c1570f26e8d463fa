namespace Runtara.Engine.Instances;

/// <summary>
/// The status machine of SPEC §7 with its intended source states enforced: terminal states are
/// final and every writer names the states it may start from. All status changes go through here.
/// </summary>
public static class InstanceStateMachine
{
    private static readonly InstanceStatus[] NonTerminal = [InstanceStatus.Pending, InstanceStatus.Running, InstanceStatus.Suspended];

    /// <summary>RegisterInstance: a launch or relaunch (wake, resume) or an idempotent re-register after a restart.</summary>
    public static readonly IReadOnlyCollection<InstanceStatus> RegisterFrom = NonTerminal;

    /// <summary>Checkpoints, sleeps and status events come from a running instance only.</summary>
    public static readonly IReadOnlyCollection<InstanceStatus> RunningOnly = [InstanceStatus.Running];

    /// <summary>Cancellation (ack of CANCEL, FinishInstance CANCELLED/FAILED) applies to any live instance.</summary>
    public static readonly IReadOnlyCollection<InstanceStatus> Live = NonTerminal;

    /// <summary>PAUSE makes sense before or while running.</summary>
    public static readonly IReadOnlyCollection<InstanceStatus> PauseFrom = [InstanceStatus.Pending, InstanceStatus.Running];

    /// <summary>RESUME only for a suspended instance.</summary>
    public static readonly IReadOnlyCollection<InstanceStatus> ResumeFrom = [InstanceStatus.Suspended];

    /// <summary>Throws <see cref="InvalidInstanceStateException"/> unless the instance is in one of <paramref name="allowed"/>.</summary>
    public static void Ensure(InstanceRecord instance, IReadOnlyCollection<InstanceStatus> allowed, string operation)
    {
        ArgumentNullException.ThrowIfNull(instance);
        Ensure(instance.InstanceId, instance.Status, allowed, operation);
    }

    /// <summary>The same check when only the status was read (the checkpoint hot path).</summary>
    public static void Ensure(string instanceId, InstanceStatus status, IReadOnlyCollection<InstanceStatus> allowed, string operation)
    {
        if (!allowed.Contains(status))
        {
            throw new InvalidInstanceStateException(instanceId, operation, status, allowed);
        }
    }

    /// <summary>Where a terminal outcome may come from: COMPLETED needs a running instance, FAILED and CANCELLED any live one.</summary>
    public static IReadOnlyCollection<InstanceStatus> FinishFrom(InstanceStatus target) => target switch
    {
        InstanceStatus.Completed => RunningOnly,
        InstanceStatus.Failed or InstanceStatus.Cancelled => Live,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Only terminal statuses finish an instance."),
    };
}

using Runtara.Protocol.Contracts;

namespace Runtara.Sdk;

/// <summary>
/// A durable workflow: plain async C# that calls <see cref="WorkflowContext"/> for everything that
/// must survive a crash (steps, sleeps, signal waits). It runs from the top on every launch of the
/// instance; completed steps return their stored results without running again.
/// </summary>
/// <param name="context">The instance's durable operations.</param>
/// <param name="input">The workflow input (<c>input.json</c> when launched by the environment).</param>
/// <param name="cancellationToken">Cancelled when the instance receives CANCEL (and when the host stops).</param>
public delegate Task<TOutput> Workflow<in TInput, TOutput>(WorkflowContext context, TInput input, CancellationToken cancellationToken);

/// <summary>Which instance a run is: its id and tenant.</summary>
public readonly record struct InstanceIdentity(string InstanceId, string TenantId);

/// <summary>How a workflow run ended (the <c>status</c> of <c>output.json</c>, SPEC §14.3).</summary>
public enum WorkflowStatus
{
    /// <summary>The workflow returned; COMPLETED was reported with its output.</summary>
    Completed,

    /// <summary>The workflow threw; FAILED was reported with the error text.</summary>
    Failed,

    /// <summary>A CANCEL signal stopped it; the cancel was acknowledged (→ CANCELLED).</summary>
    Cancelled,

    /// <summary>A PAUSE signal stopped it at a checkpoint; SUSPENDED was reported. ResumeInstance relaunches it.</summary>
    Suspended,

    /// <summary>A durable sleep suspended it until <see cref="WorkflowOutcome{TOutput}.WakeAt"/>; the environment relaunches it then.</summary>
    Sleeping,

    /// <summary>
    /// A durable wait (signal, children) suspended it; the environment relaunches it when a signal, the
    /// children's ends or the wait's deadline (<see cref="WorkflowOutcome{TOutput}.WakeAt"/>, if any) make it due.
    /// </summary>
    Waiting,

    /// <summary>
    /// The core stayed unreachable past <see cref="RuntaraInstanceOptions.CoreUnavailableTolerance"/>;
    /// nothing was reported. Not the workflow's failure: <c>output.json</c> says <c>failed</c> with
    /// <c>reason</c> <c>core_unavailable</c>, the exit code is 75, and the environment relaunches it.
    /// </summary>
    CoreUnavailable,

    /// <summary>
    /// The instance was registered again by another process while this one ran (docs/protocol.md
    /// "Incarnations"): the core refused this run's writes, and it stopped without writing anything more.
    /// Not an end of the instance: <c>output.json</c> says <c>failed</c> with <c>reason</c>
    /// <c>superseded</c>, and the exit code is 77.
    /// </summary>
    Superseded,
}

/// <summary>The result of one run of an instance.</summary>
public sealed record WorkflowOutcome<TOutput>(string InstanceId, WorkflowStatus Status)
{
    /// <summary>The workflow's output when <see cref="WorkflowStatus.Completed"/>.</summary>
    public TOutput? Result { get; init; }

    /// <summary>The output as the UTF-8 JSON that was reported.</summary>
    public ReadOnlyMemory<byte> ResultJson { get; init; }

    /// <summary>The error text when <see cref="WorkflowStatus.Failed"/>, <see cref="WorkflowStatus.CoreUnavailable"/> or <see cref="WorkflowStatus.Superseded"/>.</summary>
    public string? Error { get; init; }

    /// <summary>The exception the workflow ended with, if any.</summary>
    public Exception? Exception { get; init; }

    /// <summary>Where a suspended or sleeping instance resumes from.</summary>
    public string? CheckpointId { get; init; }

    /// <summary>Wake-up time of a durable sleep.</summary>
    public DateTimeOffset? WakeAt { get; init; }

    /// <summary>False when the outcome could not be reported to the core (see the log); <c>output.json</c> still tells it.</summary>
    public bool Reported { get; init; } = true;

    /// <summary>The process exit code of the launch contract: 1 for failed, 75 for core unavailable, 77 for superseded, 0 otherwise.</summary>
    public int ExitCode => Status switch
    {
        WorkflowStatus.Failed => ExitCodes.Failed,
        WorkflowStatus.CoreUnavailable => ExitCodes.CoreUnavailable,
        WorkflowStatus.Superseded => ExitCodes.Superseded,
        _ => ExitCodes.Success,
    };
}

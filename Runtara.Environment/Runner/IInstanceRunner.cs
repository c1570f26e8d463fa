namespace Runtara.Environment.Runner;

/// <summary>
/// Starts instance processes. The process runner is the default; the OCI runner (Runner/Oci) runs the
/// same command with the same variables in a container; a Kubernetes runner would do the same.
/// Runners never touch the database or the core.
/// </summary>
public interface IInstanceRunner
{
    /// <summary>Short name, e.g. <c>process</c>.</summary>
    string Name { get; }

    /// <summary>Starts the command; throws <see cref="LaunchFailedException"/> when it cannot be started.</summary>
    Task<IRunningInstance> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Re-attaches to a process started by an earlier run of the environment, when the process with
    /// <paramref name="pid"/> still lives and started at <paramref name="startTicks"/>; null otherwise.
    /// </summary>
    IRunningInstance? TryAdopt(string instanceId, int pid, long startTicks);

    /// <summary>
    /// A run of <paramref name="instanceId"/> is settled and none of its processes is watched: removes what
    /// the runner keeps per run (the process runner's cgroup, with anything still in it). Idempotent.
    /// </summary>
    void Forget(string instanceId)
    {
    }
}

/// <summary>What to run and how.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="FileName">Executable to start.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="WorkingDirectory">The run directory.</param>
/// <param name="Environment">The complete environment of the process (nothing is inherited beyond it).</param>
/// <param name="StdoutPath">File receiving stdout (appended).</param>
/// <param name="StderrPath">File receiving stderr (appended).</param>
/// <param name="UserId">
/// The uid (and gid) the process runs as, with no supplementary groups; null = the environment's own
/// user. The run directory already belongs to it (docs/security.md).
/// </param>
public sealed record LaunchRequest(
    string InstanceId,
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    string StdoutPath,
    string StderrPath,
    int? UserId = null)
{
    /// <summary>The image's content: its folder (zip images) or its single file; the OCI runner binds it read-only.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>The image's metadata (a JSON object): an OCI runner reads its runner choice, network and limits from it.</summary>
    public string? ImageMetadata { get; init; }

    /// <summary>The run's first launch (a fresh run directory): only then may the OCI runner hand it a warm container.</summary>
    public bool FirstLaunch { get; init; }
}

/// <summary>A launched (or re-adopted) process.</summary>
public interface IRunningInstance : IAsyncDisposable
{
    string InstanceId { get; }

    int Pid { get; }

    /// <summary>Kernel start time (clock ticks since boot), recorded so the pid can be re-adopted safely.</summary>
    long StartTicks { get; }

    /// <summary>True when this process was re-attached after an environment restart (its exit code is unknowable).</summary>
    bool Adopted { get; }

    /// <summary>Completes when the process has ended.</summary>
    Task<ProcessExit> Exited { get; }

    /// <summary>Latest measurements (peak resident memory, CPU time).</summary>
    ProcessMetrics Metrics { get; }

    /// <summary>Asks the process to stop (SIGTERM).</summary>
    void Terminate();

    /// <summary>Ends the process at once (SIGKILL).</summary>
    void Kill();
}

/// <summary>How a process ended; <see cref="ExitCode"/> is null for re-adopted processes.</summary>
public sealed record ProcessExit(int? ExitCode, ProcessMetrics Metrics)
{
    /// <summary>Why the runner ended the process, when it knows better than the exit code (e.g. an out-of-memory kill).</summary>
    public string? Failure { get; init; }
}

/// <summary>Measurements of a process; null when never sampled.</summary>
public sealed record ProcessMetrics(long? MemoryPeakBytes, long? CpuUsageUsec)
{
    public static ProcessMetrics None { get; } = new(null, null);
}

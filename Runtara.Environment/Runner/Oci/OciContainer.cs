namespace Runtara.Environment.Runner.Oci;

/// <summary>
/// A container started (or re-adopted) by <see cref="OciRunner"/>. Its init is sampled and signalled
/// through <paramref name="init"/> (a <see cref="ProcessRunner"/> view of its host pid: SIGTERM/SIGKILL
/// to the init is what <c>runc kill</c> sends); the exit code is the foreground runtime's (<paramref name="runc"/>,
/// launched by <see cref="ProcessRunner"/>), which returns the init's. Once the init has ended the container is deleted, after its cgroup was asked
/// whether the kernel killed it for memory.
/// </summary>
internal sealed class OciContainer : IRunningInstance
{
    private readonly OciRunner _runner;
    private readonly IRunningInstance? _init;
    private readonly IRunningInstance? _runc;
    private readonly CancellationTokenSource _stop = new();

    public OciContainer(OciRunner runner, string instanceId, string containerId, string? bundle, int pid, long startTicks, IRunningInstance? init, long? memoryLimit, IRunningInstance? runc, bool adopted)
    {
        _runner = runner;
        _init = init;
        _runc = runc;
        Adopted = adopted;
        InstanceId = instanceId;
        Pid = pid;
        StartTicks = startTicks;
        Exited = WatchAsync(containerId, bundle, memoryLimit);
    }

    public string InstanceId { get; }

    public int Pid { get; }

    public long StartTicks { get; }

    /// <summary>True when re-attached after an environment restart.</summary>
    public bool Adopted { get; }

    /// <summary>A warm container's launch file (it holds the instance token): deleted with the bundle when the container ends.</summary>
    public string? LaunchFile { get; init; }

    public Task<ProcessExit> Exited { get; }

    public ProcessMetrics Metrics => _init?.Metrics ?? ProcessMetrics.None;

    public void Terminate() => _init?.Terminate();

    public void Kill() => _init?.Kill();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Exited.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // The container outlives this handle (environment shutdown): it is re-adopted on the next start.
        }

        if (_init is not null)
        {
            await _init.DisposeAsync().ConfigureAwait(false);
        }

        if (_runc is not null)
        {
            await _runc.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task<ProcessExit> WatchAsync(string containerId, string? bundle, long? memoryLimit)
    {
        await Task.Yield();
        int? exitCode = null;
        if (_runc is not null)
        {
            exitCode = (await _runc.Exited.WaitAsync(_stop.Token).ConfigureAwait(false)).ExitCode;
        }
        else if (_init is not null)
        {
            await _init.Exited.WaitAsync(_stop.Token).ConfigureAwait(false);
        }

        var metrics = Metrics;
        var outOfMemory = _runner.Finish(InstanceId, containerId, memoryLimit);
        if (bundle is not null)
        {
            try
            {
                Directory.Delete(bundle, recursive: true);
                if (LaunchFile is not null)
                {
                    File.Delete(LaunchFile);
                }
            }
            catch (IOException)
            {
                // Removed with the run directory later.
            }
        }

        return new ProcessExit(exitCode, metrics)
        {
            Failure = outOfMemory ? Cgroups.OutOfMemoryFailure(memoryLimit) : null,
        };
    }
}

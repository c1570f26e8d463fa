using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;

namespace Runtara.Environment.Runner.Oci;

/// <summary>
/// Runs an instance in an OCI container (docs/environment.md, "OCI runner"): a bundle in the run
/// directory (<c>oci/config.json</c> and an empty <c>oci/rootfs</c>, see <see cref="OciBundle"/>), started
/// with <c>runc run --keep</c> in the foreground, so the runtime's exit code is the instance's and the
/// container's cgroup outlives it long enough to tell an out-of-memory kill. stdout and stderr go to the
/// run directory's logs as with the process runner. The container's init is sampled and signalled by
/// its host pid through <see cref="ProcessRunner"/>; once it has ended the container is deleted.
/// A first launch of an image with warm containers (<see cref="OciWarmPool"/>) is handed a created
/// container instead and only pays <c>runc start</c>.
/// </summary>
internal sealed class OciRunner : IInstanceRunner
{
    private readonly OciOptions _options;
    private readonly ProcessRunner _processes;
    private readonly OciWarmPool _warm;
    private readonly ILogger _logger;
    private readonly Lazy<OciRuntime> _runtime;

    public OciRunner(IOptions<EnvironmentOptions> options, ProcessRunner processes, OciWarmPool warm, ILogger<OciRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Oci;
        _processes = processes;
        _warm = warm;
        _logger = logger;
        _runtime = new(() =>
        {
            var runtime = OciRuntime.Probe(_options, _logger);
            if (runtime.Path is not null)
            {
                // Before any launch: warm containers a killed environment left are not anyone's.
                _warm.CleanLeftovers(runtime);
            }

            return runtime;
        });
    }

    public string Name => "oci";

    /// <summary>The runtime, probed on first use.</summary>
    public OciRuntime Runtime => _runtime.Value;

    public async Task<IRunningInstance> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var runtime = Runtime;
        if (runtime.Path is null)
        {
            throw new LaunchFailedException(request.InstanceId, $"the image runs under the OCI runner, and no OCI runtime can run containers here ({runtime.Problem})");
        }

        OciImageSettings image;
        try
        {
            image = OciImageSettings.Parse(request.ImageMetadata);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new LaunchFailedException(request.InstanceId, ex.Message, ex);
        }

        var plan = OciBundle.Plan(request, image, _options, p => File.Exists(p) || Directory.Exists(p));
        var warmImage = request.FirstLaunch && _warm.SizeFor(image) > 0 && !File.Exists(request.StdoutPath) ? request.ImageRoot : null;
        if (warmImage is not null && _warm.TryTake(runtime, warmImage, _warm.SizeFor(image), plan, request.WorkingDirectory) is { } slot)
        {
            var container = StartWarm(runtime, slot, request, plan);
            _warm.Refill(runtime, warmImage);
            return container;
        }

        var cold = await LaunchColdAsync(runtime, request, plan, cancellationToken).ConfigureAwait(false);
        if (warmImage is not null)
        {
            // The image's first launch (or its pool was empty): make its warm containers now that this one runs.
            _warm.Refill(runtime, warmImage);
        }

        return cold;
    }

    /// <summary>A container created and run here (<c>runc run --keep</c> in the foreground) for this launch alone.</summary>
    private async Task<IRunningInstance> LaunchColdAsync(OciRuntime runtime, LaunchRequest request, OciPlan plan, CancellationToken cancellationToken)
    {
        var runtimePath = runtime.Path ?? throw new InvalidOperationException("no OCI runtime");

        var id = OciBundle.ContainerId(request.InstanceId);
        if (runtime.HasState(id))
        {
            // Left by a run this environment did not see end (a crash): one container per instance.
            runtime.Delete(id);
            OciLog.StaleContainerRemoved(_logger, id, request.InstanceId);
        }

        var bundle = Path.Combine(request.WorkingDirectory, "oci");
        var pidFile = Path.Combine(bundle, "init.pid");
        var cgroup = OciBundle.CgroupsPath(_options, id);
        PrepareBundle(request, bundle, plan, cgroup);

        // The runtime is launched as the process runner launches an instance (stdout/stderr appended to
        // the run's logs, which the container's process inherits); its exit code is the container's.
        var stderrBefore = Length(request.StderrPath);
        var runc = await _processes.LaunchUncontainedAsync(
            new LaunchRequest(request.InstanceId, runtimePath, runtime.RunArguments(bundle, pidFile, id), bundle,
                new Dictionary<string, string> { ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
                request.StdoutPath, request.StderrPath),
            cancellationToken).ConfigureAwait(false);

        int? pid;
        try
        {
            pid = await WaitForPidAsync(runc, pidFile, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Abandoned launch: nothing of it may keep running.
            runtime.Delete(id);
            await runc.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (pid is null)
        {
            await runc.Exited.ConfigureAwait(false);
            var error = ReadFrom(request.StderrPath, stderrBefore).Trim();
            await runc.DisposeAsync().ConfigureAwait(false);
            runtime.Delete(id);
            throw new LaunchFailedException(request.InstanceId, $"the OCI runtime could not start the container: {(error.Length > 0 ? error : "no error given")}");
        }

        var startTicks = ProcFs.LiveStartTicks(pid.Value) ?? 0;
        var init = _processes.TryAdoptUncontained(request.InstanceId, pid.Value, startTicks);
        return new OciContainer(this, request.InstanceId, id, bundle, pid.Value, startTicks, init, plan.MemoryLimitBytes, runc, adopted: false);
    }

    /// <summary>
    /// Hands <paramref name="slot"/> to the run and starts it. Its exit code is unknown: the container's
    /// process is not a child of ours (<c>runc create</c> has exited), so the run's outcome comes from the
    /// core and <c>output.json</c>, as after an environment restart.
    /// </summary>
    private OciContainer StartWarm(OciRuntime runtime, WarmSlot slot, LaunchRequest request, OciPlan plan)
    {
        try
        {
            _warm.HandOver(slot, request, plan);
            var (code, _, error) = runtime.Run(TimeSpan.FromSeconds(30), "start", slot.ContainerId);
            if (code != 0)
            {
                throw new LaunchFailedException(request.InstanceId, $"the OCI runtime could not start warm container {slot.ContainerId}: {(error.Length > 0 ? error : "no error given")}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or LaunchFailedException)
        {
            // The run directory may be half moved: no cold fallback, the launch fails as any launch failure does.
            _warm.Discard(slot);
            throw ex as LaunchFailedException ?? new LaunchFailedException(request.InstanceId, $"warm container {slot.ContainerId} could not be handed over: {ex.Message}", ex);
        }

        OciLog.WarmHandedOver(_logger, request.InstanceId, slot.ContainerId);
        var init = _processes.TryAdoptUncontained(request.InstanceId, slot.Pid, slot.StartTicks);
        return new OciContainer(this, request.InstanceId, slot.ContainerId, Path.Combine(request.WorkingDirectory, "oci"), slot.Pid, slot.StartTicks, init, slot.MemoryLimitBytes, runc: null, adopted: false)
        {
            LaunchFile = Path.Combine(request.WorkingDirectory, OciWarmPool.LaunchFileName),
        };
    }

    public IRunningInstance? TryAdopt(string instanceId, int pid, long startTicks)
    {
        var runtime = Runtime;
        var id = OciBundle.ContainerId(instanceId);
        if (!runtime.HasState(id) && OciWarmPool.ContainerOf(pid, _options) is { } warm)
        {
            // A warm container handed to this run: its id is not the instance's, its process's cgroup names it.
            id = warm;
        }

        if (runtime.Path is null || !runtime.HasState(id))
        {
            return null;
        }

        var state = runtime.State(id);
        if (state is { Status: "running" } s && s.Pid == pid && startTicks != 0 && ProcFs.LiveStartTicks(pid) == startTicks
            && _processes.TryAdoptUncontained(instanceId, pid, startTicks) is { } init)
        {
            var limit = Cgroups.MemoryLimit(OciBundle.CgroupsPath(_options, id));
            return new OciContainer(this, instanceId, id, bundle: null, pid, startTicks, init, limit, runc: null, adopted: true);
        }

        // Not the process the run recorded (or already stopped): nothing to adopt, nothing to keep.
        if (!runtime.Delete(id))
        {
            OciLog.DeleteFailed(_logger, id);
        }

        return null;
    }

    /// <summary>Deletes the container after its process ended; tells whether its cgroup saw an out-of-memory kill first.</summary>
    internal bool Finish(string instanceId, string containerId, long? memoryLimit)
    {
        var outOfMemory = Cgroups.OutOfMemoryKills(OciBundle.CgroupsPath(_options, containerId)) > 0;
        if (outOfMemory)
        {
            OciLog.OutOfMemory(_logger, containerId, instanceId, (memoryLimit ?? 0) / (1024 * 1024));
        }

        if (!Runtime.Delete(containerId))
        {
            OciLog.DeleteFailed(_logger, containerId);
        }

        return outOfMemory;
    }

    private void PrepareBundle(LaunchRequest request, string bundle, OciPlan plan, string cgroup)
    {
        if (Directory.Exists(bundle))
        {
            Directory.Delete(bundle, recursive: true);
        }

        // The bundle is the environment's (root only); the rest of the run directory is the instance's user's.
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(bundle, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (request.UserId is null)
        {
            // A run with a user of its own already owns its directory (RunDirectory.Prepare); otherwise the
            // container's user gets it: input, workspace, an earlier run's output, not the bundle or the logs.
            UnixFiles.ChangeOwnerRecursively(request.WorkingDirectory, (uint)_options.User, (uint)_options.Group, [bundle, request.StdoutPath, request.StderrPath]);
        }

        File.WriteAllText(Path.Combine(bundle, "config.json"), OciBundle.Config(plan, _options, cgroup, OciBundle.KernelLimitsSwap).ToJsonString());
    }

    private static async Task<int?> WaitForPidAsync(IRunningInstance runc, string pidFile, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            // Read after checking for an exit: a container that ended at once still left its pid file.
            var exited = runc.Exited.IsCompleted;
            if (File.Exists(pidFile) && int.TryParse(await File.ReadAllTextAsync(pidFile, cancellationToken).ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                return pid;
            }

            if (exited)
            {
                return null;
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static string ReadFrom(string path, long offset)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            file.Seek(Math.Min(offset, file.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(file);
            var text = reader.ReadToEnd();
            return text.Length > 2000 ? text[^2000..] : text;
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Runner.Oci;
using Runtara.Environment.Runner.Warm;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Rpc;

namespace Runtara.Environment.Runner;

/// <summary>
/// Runs an instance as a plain child process. stdout and stderr go straight to files (through a
/// <c>/bin/sh</c> redirect, so the process does not depend on pipes to the environment and survives
/// an environment restart); stdin is <c>/dev/null</c>; the environment is exactly the one given.
/// With a <see cref="LaunchRequest.UserId"/>, the script execs <c>setpriv</c>, which switches to that
/// user and execs the entrypoint (same pid); the log files are opened by the shell before the switch,
/// as the environment, so the instance writes them through its descriptors only.
/// Contained (docs/environment.md, "Process runner"): the shell sets umask 077 and, when the environment
/// may, writes itself into the run's cgroup (limits from the image's metadata or the defaults) before it
/// execs, so every process the instance starts is counted, limited and killed with it; an image without
/// network is started by <c>unshare --net</c> in a network namespace of its own.
/// Memory and CPU are sampled from <c>/proc</c> while the process runs. Warm processes (Runner/Warm/WarmProcesses.cs)
/// are started the same way (<see cref="Start"/>) before their run is known and become runs through <see cref="TakeOver"/>.
/// </summary>
internal sealed class ProcessRunner : IInstanceRunner
{
    /// <summary>Redirects and execs, so the pid is the instance's own: <c>sh -c script launcher out err file args…</c>.</summary>
    private const string LaunchScript = "out=\"$1\"; err=\"$2\"; shift 2; exec \"$@\" </dev/null >>\"$out\" 2>>\"$err\"";

    /// <summary>
    /// Contained: <c>sh -c script launcher out err cgroup.procs… -- file args…</c>; the shell joins each
    /// cgroup before the exec (a failure to join is written to the run's stderr and ends the launch with 125).
    /// </summary>
    private const string ContainedLaunchScript =
        "out=\"$1\"; err=\"$2\"; shift 2; umask 077; while [ \"$1\" != -- ]; do echo $$ 2>>\"$err\" >\"$1\" || exit 125; shift; done; shift; " +
        "exec \"$@\" </dev/null >>\"$out\" 2>>\"$err\"";

    private const long MiB = 1024 * 1024;

    private readonly EnvironmentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _sampleInterval;
    private readonly bool _isRoot;
    private readonly bool _cgroups;

    public ProcessRunner(IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<ProcessRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _logger = logger;
        _sampleInterval = _options.ProcessSampleInterval;
        _isRoot = OperatingSystem.IsLinux() && NativeMethods.GetEffectiveUserId() == 0;
        var reason = !_options.ProcessCgroups ? null
            : !Cgroups.Available ? "no cgroup hierarchy with the memory and pids controllers under /sys/fs/cgroup"
            : !_isRoot ? "the environment does not run as root"
            : string.Empty;
        _cgroups = reason == string.Empty;
        if (_cgroups)
        {
            Log.ProcessCgroupsEnabled(logger, CgroupOf("*"));
        }
        else if (reason is not null && OperatingSystem.IsLinux())
        {
            Log.ProcessCgroupsDisabled(logger, reason);
        }
    }

    public string Name => "process";

    /// <summary>The cgroup of a process-runner run of <paramref name="instanceId"/>.</summary>
    public string CgroupOf(string instanceId) =>
        $"{CgroupDirectory(_options.Oci.CgroupParent, _options.ResolveEnvironmentId())}/{(instanceId == "*" ? instanceId : OciBundle.ContainerId(instanceId))}";

    /// <summary>
    /// Where the process runner of one environment puts its runs' cgroups: <c>/&lt;parent&gt;/process-&lt;8 hex of the
    /// environment id&gt;</c>. Environments on one machine must not share them: one that takes over a run of another
    /// relaunches it under the same instance id, and ending a run kills whatever is left in its cgroup.
    /// </summary>
    public static string CgroupDirectory(string cgroupParent, string environmentId) =>
        $"/{cgroupParent.Trim('/')}/process-{EnvironmentOptions.ScopeOf(environmentId)}";

    /// <summary>Launches an instance, contained as the image and the options say.</summary>
    public Task<IRunningInstance> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken) => Task.FromResult(Launch(request, ShapeOf(ParseSettings(request))));

    /// <summary>Launches a helper of another runner (an OCI runtime, which makes its own cgroup): no cgroup, umask or namespace.</summary>
    public Task<IRunningInstance> LaunchUncontainedAsync(LaunchRequest request, CancellationToken cancellationToken) => Task.FromResult(Launch(request, shape: null));

    /// <summary>Launches <paramref name="request"/> contained as <paramref name="shape"/> says (null = not at all); <see cref="WarmProcesses"/> passes the shape it has worked out already.</summary>
    internal IRunningInstance Launch(LaunchRequest request, ProcessShape? shape)
    {
        var started = Start(request, shape, shape is null ? null : CgroupOf(request.InstanceId));
        return new ChildProcess(request.InstanceId, started.Process, started.StartTicks, _sampleInterval, _time, started.Cgroup, _logger);
    }

    /// <summary>
    /// How a contained launch of an image with <paramref name="image"/>'s settings is run: network namespace,
    /// cgroup and its limits. Warm processes (Runner/Warm) are kept per shape.
    /// </summary>
    internal ProcessShape ShapeOf(OciImageSettings image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var isolate = !(image.HostNetwork ?? _options.ProcessNetwork == ProcessNetwork.Host);
        return _cgroups
            ? new ProcessShape(isolate, Cgroup: true, (image.MemoryLimitMb ?? _options.ProcessDefaultMemoryLimitMb) * MiB, image.PidsLimit ?? _options.ProcessDefaultPidsLimit, image.CpuLimit ?? _options.ProcessDefaultCpuLimit)
            : new ProcessShape(isolate, Cgroup: false, null, null, null);
    }

    /// <summary>
    /// Starts <paramref name="request"/>'s process: contained as <paramref name="shape"/> says (null = not at all),
    /// in the cgroup <paramref name="cgroupPath"/> when the shape has one. Not watched: the caller wraps it.
    /// </summary>
    internal StartedProcess Start(LaunchRequest request, ProcessShape? shape, string? cgroupPath)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!File.Exists(request.FileName))
        {
            throw new LaunchFailedException(request.InstanceId, $"entrypoint '{request.FileName}' does not exist");
        }

        var contain = shape is not null;
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = request.WorkingDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(contain ? ContainedLaunchScript : LaunchScript);
        start.ArgumentList.Add("runtara-launch");
        start.ArgumentList.Add(request.StdoutPath);
        start.ArgumentList.Add(request.StderrPath);
        var isolate = shape?.Isolate == true;
        if (isolate)
        {
            CheckIsolatable(request);
        }

        if (request.UserId is { } reachable)
        {
            CheckReachable(request, reachable);
        }

        // Created last, so a launch refused above leaves no cgroup behind.
        var cgroup = shape is { Cgroup: true } && cgroupPath is not null ? CreateCgroup(request.InstanceId, shape, cgroupPath) : null;
        if (contain)
        {
            foreach (var procs in cgroup?.Procs ?? [])
            {
                start.ArgumentList.Add(procs);
            }

            start.ArgumentList.Add("--");
        }

        if (isolate)
        {
            start.ArgumentList.Add(_options.UnsharePath);
            start.ArgumentList.Add("--net");
            start.ArgumentList.Add("--");
        }

        if (request.UserId is { } uid)
        {
            start.ArgumentList.Add(_options.SetprivPath);
            start.ArgumentList.Add(FormattableString.Invariant($"--reuid={uid}"));
            start.ArgumentList.Add(FormattableString.Invariant($"--regid={uid}"));
            start.ArgumentList.Add("--clear-groups");
            start.ArgumentList.Add("--no-new-privs");
            start.ArgumentList.Add("--");
        }

        start.ArgumentList.Add(request.FileName);
        foreach (var argument in request.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (key, value) in request.Environment)
        {
            start.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new LaunchFailedException(request.InstanceId, "the process did not start");
        }
        catch (Win32Exception ex)
        {
            if (cgroup is not null)
            {
                Cgroups.Remove(cgroup.Path);
            }

            throw new LaunchFailedException(request.InstanceId, ex.Message, ex);
        }

        return new StartedProcess(process, ProcFs.ReadStat(process.Id)?.StartTicks ?? 0, cgroup);
    }

    /// <summary>The cgroup of a warm process (Runner/Warm) before it is handed a run: named after its slot, which no instance's can be.</summary>
    internal string WarmCgroupOf(string slotId) => $"{CgroupDirectory(_options.Oci.CgroupParent, _options.ResolveEnvironmentId())}/{slotId}";

    /// <summary>
    /// Makes a warm process the run of <paramref name="instanceId"/>: its cgroup is renamed to the run's (same
    /// limits, its shape), so the memory it charged while starting and anything it started stay counted with
    /// the run (moving only its pid would leave those behind: cgroups do not move charges). Throws
    /// <see cref="IOException"/> when the cgroup cannot be renamed.
    /// </summary>
    internal IRunningInstance TakeOver(StartedProcess warm, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(warm);
        RunCgroup? cgroup = null;
        if (warm.Cgroup is { } slot)
        {
            var path = CgroupOf(instanceId);

            // As a cold launch does: what a crashed earlier launch left is not this run's.
            Cgroups.Clear(path);
            Cgroups.Rename(slot.Path, path);
            cgroup = new RunCgroup(path, slot.MemoryLimit, []);
        }

        return new ChildProcess(instanceId, warm.Process, warm.StartTicks, _sampleInterval, _time, cgroup, _logger);
    }

    /// <summary>Ends a warm process never handed a run (or one an earlier environment left, by pid and start ticks): it, its cgroup and what is in it.</summary>
    internal static void End(int pid, long startTicks, string? cgroupPath)
    {
        if (startTicks != 0 && ProcFs.LiveStartTicks(pid) == startTicks)
        {
            _ = NativeMethods.Kill(pid, NativeMethods.SIGKILL);
        }

        if (cgroupPath is not null)
        {
            Cgroups.Clear(cgroupPath);
        }
    }

    /// <summary>The image's settings from its metadata; throws <see cref="LaunchFailedException"/> when they do not parse.</summary>
    internal static OciImageSettings ParseSettings(LaunchRequest request)
    {
        try
        {
            return OciImageSettings.Parse(request.ImageMetadata);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new LaunchFailedException(request.InstanceId, ex.Message, ex);
        }
    }

    /// <summary>A fresh cgroup at <paramref name="path"/> with the shape's limits.</summary>
    private static RunCgroup CreateCgroup(string instanceId, ProcessShape shape, string path)
    {
        // Left by a launch this environment did not see end (a crash): its counters must not be this run's.
        Cgroups.Clear(path);
        try
        {
            var procs = Cgroups.Create(path, shape.MemoryBytes, shape.Pids, shape.Cpus);
            return new RunCgroup(path, shape.MemoryBytes, procs);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Cgroups.Remove(path);
            throw new LaunchFailedException(instanceId, $"the run's cgroup {path} could not be set up: {ex.Message} (Runtara:Environment:ProcessCgroups = false runs instances without one)", ex);
        }
    }

    /// <summary>A run without network needs a namespace of its own (root, unshare) and the core's socket to reach the core.</summary>
    private void CheckIsolatable(LaunchRequest request)
    {
        var core = request.Environment.GetValueOrDefault(LaunchVariables.ServerAddress) ?? string.Empty;
        var problem = !_isRoot ? "a network namespace of its own needs an environment running as root"
            : !File.Exists(_options.UnsharePath) ? $"unshare (util-linux) was not found at {_options.UnsharePath} (Runtara:Environment:UnsharePath)"
            : !core.StartsWith(RpcAddress.UnixScheme, StringComparison.Ordinal) ? $"the core's instance socket is not available (RUNTARA_SERVER_ADDR would be '{core}'): set Runtara:Environment:CoreInstanceSocket"
            : null;
        if (problem is not null)
        {
            throw new LaunchFailedException(request.InstanceId,
                $"the instance runs without network (image metadata \"network\": \"none\" or Runtara:Environment:ProcessNetwork = None), and {problem}");
        }
    }

    /// <summary>
    /// Fails the launch with a clear message when the instance's user could not reach its entrypoint (e.g.
    /// a <c>dotnet</c> under a 0700 home directory) or its run directory: setpriv would fail after the fork.
    /// </summary>
    private static void CheckReachable(LaunchRequest request, int uid)
    {
        if (Path.IsPathRooted(request.FileName) && UnixFiles.FirstBarrierForOthers(request.FileName) is { } barrier)
        {
            throw new LaunchFailedException(request.InstanceId,
                $"'{request.FileName}' cannot be run by the instance's user (uid {uid}): '{barrier}' is closed to other users; install it where every user can read it (the .NET runtime e.g. under /usr/share/dotnet, see Runtara:Environment:DotnetHostPath)");
        }

        if (Path.GetDirectoryName(Path.GetFullPath(request.WorkingDirectory)) is { } parent && UnixFiles.FirstBarrierForOthers(parent) is { } closed)
        {
            throw new LaunchFailedException(request.InstanceId,
                $"the run directory '{request.WorkingDirectory}' cannot be reached by the instance's user (uid {uid}): '{closed}' is closed to other users (every directory above the data directory needs o+x)");
        }
    }

    public IRunningInstance? TryAdopt(string instanceId, int pid, long startTicks)
    {
        // The run's cgroup is found by its instance id: what is left in it still ends with the run.
        var path = CgroupOf(instanceId);
        var cgroup = _cgroups && Cgroups.Exists(path) ? new RunCgroup(path, Cgroups.MemoryLimit(path), []) : null;
        return TryAdopt(instanceId, pid, startTicks, cgroup);
    }

    /// <summary>A run that ended while no environment watched it (then reconciled): its cgroup, and anything left in it, goes.</summary>
    public void Forget(string instanceId)
    {
        var path = CgroupOf(instanceId);
        if (_cgroups && Cgroups.Exists(path))
        {
            new RunCgroup(path, null, []).End(instanceId, _logger);
        }
    }

    /// <summary>Re-attaches to a process of another runner (an OCI container's init): no cgroup of this runner's.</summary>
    public IRunningInstance? TryAdoptUncontained(string instanceId, int pid, long startTicks) => TryAdopt(instanceId, pid, startTicks, cgroup: null);

    private AdoptedProcess? TryAdopt(string instanceId, int pid, long startTicks, RunCgroup? cgroup) =>
        ProcFs.LiveStartTicks(pid) == startTicks && startTicks != 0 ? new AdoptedProcess(instanceId, pid, startTicks, _sampleInterval, _time, cgroup, _logger) : null;

    /// <summary>A run's cgroup: its path, memory limit and the files a process joins it through.</summary>
    internal sealed record RunCgroup(string Path, long? MemoryLimit, IReadOnlyList<string> Procs)
    {
        /// <summary>The run's main process has ended: kills what it left, removes the cgroup; the failure when the kernel killed it for memory.</summary>
        public string? End(string instanceId, ILogger logger)
        {
            var killed = Cgroups.KillAll(Path);
            if (killed > 0)
            {
                Log.ProcessCgroupLeftoversKilled(logger, killed, instanceId);
            }

            var outOfMemory = Cgroups.OutOfMemoryKills(Path) > 0;
            Cgroups.Remove(Path);
            if (!outOfMemory)
            {
                return null;
            }

            Log.ProcessOutOfMemory(logger, instanceId, (MemoryLimit ?? 0) / MiB);
            return Cgroups.OutOfMemoryFailure(MemoryLimit);
        }
    }

    /// <summary>A started, not yet watched process (a warm one waits so for its run).</summary>
    internal sealed record StartedProcess(Process Process, long StartTicks, RunCgroup? Cgroup);

    /// <summary>How a contained process runs: its own network namespace or not, a cgroup or not, and the cgroup's limits.</summary>
    internal sealed record ProcessShape(bool Isolate, bool Cgroup, long? MemoryBytes, int? Pids, double? Cpus);

    /// <summary>Common sampling and signalling of a process identified by pid.</summary>
    private abstract class RunningProcess : IRunningInstance
    {
        private readonly CancellationTokenSource _stop = new();
        private long _memoryPeak = -1;
        private long _cpu = -1;

        protected RunningProcess(string instanceId, int pid, long startTicks, RunCgroup? cgroup, ILogger logger)
        {
            InstanceId = instanceId;
            Pid = pid;
            StartTicks = startTicks;
            Cgroup = cgroup;
            Logger = logger;
        }

        protected RunCgroup? Cgroup { get; }

        protected ILogger Logger { get; }

        public string InstanceId { get; }

        public int Pid { get; }

        public long StartTicks { get; }

        public abstract bool Adopted { get; }

        public abstract Task<ProcessExit> Exited { get; }

        public ProcessMetrics Metrics => new(Known(Interlocked.Read(ref _memoryPeak)), Known(Interlocked.Read(ref _cpu)));

        protected CancellationToken Stopping => _stop.Token;

        public void Terminate() => Signal(NativeMethods.SIGTERM);

        public void Kill()
        {
            Signal(NativeMethods.SIGKILL);
            // A stop that came to SIGKILL ends the whole run, not only its main process.
            if (Cgroup is not null)
            {
                Cgroups.KillAll(Cgroup.Path);
            }
        }

        /// <summary>After the main process ended: the run's leftovers are killed and its cgroup read and removed.</summary>
        protected string? EndCgroup() => Cgroup?.End(InstanceId, Logger);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Exited.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // The process outlives this handle (environment shutdown): it is re-adopted on the next start.
            }

            Release();
            _stop.Dispose();
        }

        protected virtual void Release()
        {
        }

        /// <summary>Takes one sample; returns false when the process is gone (or its pid was reused).</summary>
        protected bool Sample()
        {
            var stat = ProcFs.ReadStat(Pid);
            if (stat is not { } s || s.StartTicks != StartTicks || s.State is 'Z' or 'X')
            {
                return false;
            }

            Interlocked.Exchange(ref _cpu, (s.UserTicks + s.SystemTicks) * 10_000);
            if (ProcFs.PeakResidentBytes(Pid) is { } peak && peak > Interlocked.Read(ref _memoryPeak))
            {
                Interlocked.Exchange(ref _memoryPeak, peak);
            }

            return true;
        }

        private static long? Known(long value) => value < 0 ? null : value;

        private void Signal(int signal)
        {
            // Only signal the process we started: a dead pid may have been reused by another process.
            if (ProcFs.LiveStartTicks(Pid) == StartTicks)
            {
                _ = NativeMethods.Kill(Pid, signal);
            }
        }
    }

    /// <summary>A process this environment started: exit code from the OS, samples until it exits.</summary>
    private sealed class ChildProcess : RunningProcess
    {
        private readonly Process _process;

        public ChildProcess(string instanceId, Process process, long startTicks, TimeSpan sampleInterval, TimeProvider time, RunCgroup? cgroup, ILogger logger)
            : base(instanceId, process.Id, startTicks, cgroup, logger)
        {
            _process = process;
            Exited = WatchAsync(sampleInterval, time);
        }

        public override bool Adopted => false;

        public override Task<ProcessExit> Exited { get; }

        protected override void Release() => _process.Dispose();

        private async Task<ProcessExit> WatchAsync(TimeSpan sampleInterval, TimeProvider time)
        {
            await Task.Yield();
            var exited = _process.WaitForExitAsync(CancellationToken.None);
            // Sample soon after start (short runs), then at the configured interval.
            var delay = TimeSpan.FromMilliseconds(Math.Min(20, sampleInterval.TotalMilliseconds));
            // Disposing this handle cancels the watch (Exited is then cancelled, not completed).
            while (!exited.IsCompleted)
            {
                Sample();
                await Task.WhenAny(exited, Task.Delay(delay, time, Stopping)).ConfigureAwait(false);
                Stopping.ThrowIfCancellationRequested();
                delay = sampleInterval;
            }

            await exited.ConfigureAwait(false);
            return new ProcessExit(_process.ExitCode, Metrics) { Failure = EndCgroup() };
        }
    }

    /// <summary>A process started by an earlier environment: polled, since it is not our child.</summary>
    private sealed class AdoptedProcess : RunningProcess
    {
        public AdoptedProcess(string instanceId, int pid, long startTicks, TimeSpan sampleInterval, TimeProvider time, RunCgroup? cgroup, ILogger logger)
            : base(instanceId, pid, startTicks, cgroup, logger)
        {
            Exited = WatchAsync(sampleInterval, time);
        }

        public override bool Adopted => true;

        public override Task<ProcessExit> Exited { get; }

        private async Task<ProcessExit> WatchAsync(TimeSpan sampleInterval, TimeProvider time)
        {
            await Task.Yield();
            while (Sample())
            {
                await Task.Delay(sampleInterval, time, Stopping).ConfigureAwait(false);
            }

            return new ProcessExit(null, Metrics) { Failure = EndCgroup() };
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;

namespace Runtara.Environment.Runner;

/// <summary>
/// Runs an instance as a plain child process. stdout and stderr go straight to files (through a
/// <c>/bin/sh</c> redirect, so the process does not depend on pipes to the environment and survives
/// an environment restart); stdin is <c>/dev/null</c>; the environment is exactly the one given.
/// With a <see cref="LaunchRequest.UserId"/>, the script execs <c>setpriv</c>, which switches to that
/// user and execs the entrypoint (same pid); the log files are opened by the shell before the switch,
/// as the environment, so the instance writes them through its descriptors only.
/// Memory and CPU are sampled from <c>/proc</c> while the process runs.
/// </summary>
internal sealed class ProcessRunner(IOptions<EnvironmentOptions> options, TimeProvider time) : IInstanceRunner
{
    /// <summary>Redirects and execs, so the pid is the instance's own: <c>sh -c script launcher out err file args…</c>.</summary>
    private const string LaunchScript = "out=\"$1\"; err=\"$2\"; shift 2; exec \"$@\" </dev/null >>\"$out\" 2>>\"$err\"";

    private readonly TimeSpan _sampleInterval = options.Value.ProcessSampleInterval;
    private readonly string _setprivPath = options.Value.SetprivPath;

    public string Name => "process";

    public Task<IRunningInstance> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!File.Exists(request.FileName))
        {
            throw new LaunchFailedException(request.InstanceId, $"entrypoint '{request.FileName}' does not exist");
        }

        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = request.WorkingDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(LaunchScript);
        start.ArgumentList.Add("runtara-launch");
        start.ArgumentList.Add(request.StdoutPath);
        start.ArgumentList.Add(request.StderrPath);
        if (request.UserId is { } uid)
        {
            CheckReachable(request, uid);
            start.ArgumentList.Add(_setprivPath);
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
            throw new LaunchFailedException(request.InstanceId, ex.Message, ex);
        }

        var startTicks = ProcFs.ReadStat(process.Id)?.StartTicks ?? 0;
        IRunningInstance running = new ChildProcess(request.InstanceId, process, startTicks, _sampleInterval, time);
        return Task.FromResult(running);
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

    public IRunningInstance? TryAdopt(string instanceId, int pid, long startTicks) =>
        ProcFs.LiveStartTicks(pid) == startTicks && startTicks != 0 ? new AdoptedProcess(instanceId, pid, startTicks, _sampleInterval, time) : null;

    /// <summary>Common sampling and signalling of a process identified by pid.</summary>
    private abstract class RunningProcess : IRunningInstance
    {
        private readonly CancellationTokenSource _stop = new();
        private long _memoryPeak = -1;
        private long _cpu = -1;

        protected RunningProcess(string instanceId, int pid, long startTicks)
        {
            InstanceId = instanceId;
            Pid = pid;
            StartTicks = startTicks;
        }

        public string InstanceId { get; }

        public int Pid { get; }

        public long StartTicks { get; }

        public abstract bool Adopted { get; }

        public abstract Task<ProcessExit> Exited { get; }

        public ProcessMetrics Metrics => new(Known(Interlocked.Read(ref _memoryPeak)), Known(Interlocked.Read(ref _cpu)));

        protected CancellationToken Stopping => _stop.Token;

        public void Terminate() => Signal(NativeMethods.SIGTERM);

        public void Kill() => Signal(NativeMethods.SIGKILL);

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

        public ChildProcess(string instanceId, Process process, long startTicks, TimeSpan sampleInterval, TimeProvider time)
            : base(instanceId, process.Id, startTicks)
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
            return new ProcessExit(_process.ExitCode, Metrics);
        }
    }

    /// <summary>A process started by an earlier environment: polled, since it is not our child.</summary>
    private sealed class AdoptedProcess : RunningProcess
    {
        public AdoptedProcess(string instanceId, int pid, long startTicks, TimeSpan sampleInterval, TimeProvider time)
            : base(instanceId, pid, startTicks)
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

            return new ProcessExit(null, Metrics);
        }
    }
}

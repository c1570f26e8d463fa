using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Core;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Images;
using Runtara.Environment.Runner;
using Runtara.Environment.Security;
using Runtara.Environment.Storage;
using Runtara.Protocol.Contracts;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;

namespace Runtara.Environment.Instances;

/// <summary>
/// Owns the live instance processes: launches them (start, resume, wake, retry), watches each one
/// (timeout, exit), and settles the outcome with the core when a process ends — a process that
/// exits without a terminal status at the core is retried from its last checkpoint or failed.
/// Every change to a run happens under that instance's lock. The pure rules live beside it: the
/// launch variables in <see cref="LaunchEnvironment"/>, the settle-or-retry rule in <see cref="ExitDecision"/>.
/// </summary>
internal sealed class InstanceSupervisor : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, LiveRun> _live = new(StringComparer.Ordinal);

    // Runs whose stop ended their process and is still to settle them (StopInstance does, see OnExitedAsync):
    // the heartbeat monitor's reconciliation must not fail them meanwhile for having no process.
    private readonly ConcurrentDictionary<string, byte> _stopsUnsettled = new(StringComparer.Ordinal);
    private readonly KeyedLock _locks = new();
    private readonly IEnvironmentStore _store;
    private readonly ICoreClient _core;
    private readonly IInstanceRunner _runner;
    private readonly ImageService _images;
    private readonly TokenIssuer _tokens;
    private readonly InstanceUsers _users;
    private readonly EnvironmentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _dataDirectory;
    private readonly string _dotnetHost;
    private readonly string _environmentId;
    private readonly CancellationTokenSource _stopping = new();

    public InstanceSupervisor(
        IEnvironmentStore store, ICoreClient core, IInstanceRunner runner, ImageService images, TokenIssuer tokens, InstanceUsers users,
        IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<InstanceSupervisor> logger, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _core = core;
        _runner = runner;
        _images = images;
        _tokens = tokens;
        _users = users;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _dataDirectory = _options.ResolveDataDirectory();
        _dotnetHost = DotnetHost.Resolve(_options.DotnetHostPath);
        _environmentId = _options.ResolveEnvironmentId();
        lifetime?.ApplicationStopping.Register(() => _stopping.Cancel());
    }

    /// <summary>Instances with a live process here.</summary>
    public int LiveCount => _live.Count;

    /// <summary>This environment's id: the owner it records on the runs it launches.</summary>
    public string EnvironmentId => _environmentId;

    /// <summary>The instances with a live process here.</summary>
    public IReadOnlyCollection<string> LiveInstanceIds => [.. _live.Keys];

    /// <summary>When a lease taken now ends (<see cref="EnvironmentOptions.RunLease"/>).</summary>
    public long LeaseUntilMs() => Now() + (long)_options.RunLease.TotalMilliseconds;

    public Task<IDisposable> LockAsync(string instanceId, CancellationToken cancellationToken) => _locks.AcquireAsync(instanceId, cancellationToken);

    public bool IsLive(string instanceId) => _live.ContainsKey(instanceId);

    /// <summary>Waits (up to <paramref name="limit"/>) until a live process of the instance has exited and been settled; at once when there is none.</summary>
    public async Task WaitSettledAsync(string instanceId, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (_live.TryGetValue(instanceId, out var live))
        {
            try
            {
                await live.Settled.WaitAsync(limit, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Still running: the caller sees it live and leaves the wake to the lease's expiry.
            }
        }
    }

    public int? LivePid(string instanceId) => _live.TryGetValue(instanceId, out var live) ? live.Process.Pid : null;

    public RunDirectory Directory(RunRecord run) => new(_dataDirectory, run.TenantId, run.InstanceId);

    /// <summary>
    /// Launches a process for the run (the caller holds the instance lock). On failure the instance is
    /// failed at the core and locally, and <see cref="LaunchFailedException"/> is thrown.
    /// </summary>
    public async Task<RunRecord> LaunchAsync(RunRecord run, string? checkpointId, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (_live.ContainsKey(run.InstanceId))
        {
            throw new InvalidOperationException($"Instance '{run.InstanceId}' already has a live process.");
        }

        var started = Stopwatch.GetTimestamp();
        var directory = Directory(run);
        IRunningInstance process;
        try
        {
            // The version the instance started on, never newer code (docs/operations.md, "Versioned images").
            var image = await _store.GetImageVersionAsync(run.ImageId, run.ImageVersion, cancellationToken).ConfigureAwait(false)
                ?? throw new LaunchFailedException(run.InstanceId, $"image '{run.ImageId}' version {run.ImageVersion} no longer exists");
            if (image.RunnerType == "wasm")
            {
                throw new LaunchFailedException(run.InstanceId, "WASM images cannot be run by the process runner");
            }

            // With a shared database the content may have been registered through another environment.
            await _images.EnsureLocalAsync(image, cancellationToken).ConfigureAwait(false);
            var uid = _users.Acquire(run.InstanceId);
            directory.Prepare(run.Input ?? "{}"u8.ToArray(), uid);
            var (fileName, arguments) = _images.ResolveEntrypoint(image, _dotnetHost);
            var environment = LaunchEnvironment.Build(
                run, image.Name, directory, checkpointId, _tokens.MintInstanceToken(run.InstanceId, run.TenantId),
                _options, System.Environment.GetEnvironmentVariables(), Activity.Current, ownUser: uid is not null);
            process = await _runner.LaunchAsync(
                new LaunchRequest(run.InstanceId, fileName, arguments, directory.Path, environment, directory.StdoutPath, directory.StderrPath, uid)
                {
                    ImageRoot = _images.ImageRoot(image),
                    ImageMetadata = image.Metadata,
                    FirstLaunch = run.LaunchCount == 0,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LaunchFailedException or IOException or UnauthorizedAccessException)
        {
            _users.Release(run.InstanceId, directory.Path);
            var failure = ex as LaunchFailedException ?? new LaunchFailedException(run.InstanceId, ex.Message, ex);
            Log.LaunchFailed(_logger, run.InstanceId, failure.Message);
            EnvironmentTelemetry.InstancesFailed.Add(1);
            var failed = run with
            {
                Status = RunStatus.Failed,
                Error = failure.Message,
                FinishedAtMs = Now(),
                Pid = null,
                ProcessStartTicks = null,
                UpdatedAtMs = Now(),
            };
            await _store.UpdateRunAsync(failed, CancellationToken.None).ConfigureAwait(false);
            await TryFinishAtCoreAsync(run.InstanceId, CoreStatus.StatusFailed, failure.Message, null, null).ConfigureAwait(false);
            throw failure;
        }

        var now = Now();
        var running = run with
        {
            Status = RunStatus.Running,
            StartedAtMs = run.StartedAtMs ?? now,
            FinishedAtMs = null,
            Pid = process.Pid,
            ProcessStartTicks = process.StartTicks,
            ExitCode = null,
            LaunchCount = run.LaunchCount + 1,
            CheckpointId = checkpointId ?? run.CheckpointId,
            UpdatedAtMs = now,
            // Whoever launches a run owns it (a wake or a takeover moves it here), under a lease the renewal extends.
            OwnerId = _environmentId,
            LeaseUntilMs = LeaseUntilMs(),
        };
        await _store.UpdateRunAsync(running, CancellationToken.None).ConfigureAwait(false);
        Watch(running, process);
        EnvironmentTelemetry.InstancesStarted.Add(1, new KeyValuePair<string, object?>("reason", reason));
        EnvironmentTelemetry.LaunchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        Log.InstanceLaunched(_logger, run.InstanceId, reason, process.Pid, checkpointId);
        return running;
    }

    /// <summary>Re-attaches a process that survived an environment restart; false when it is gone.</summary>
    public bool TryAdopt(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Pid is not { } pid || run.ProcessStartTicks is not { } ticks || _live.ContainsKey(run.InstanceId))
        {
            return false;
        }

        var process = _runner.TryAdopt(run.InstanceId, pid, ticks);
        if (process is null)
        {
            return false;
        }

        _users.Adopt(run.InstanceId, pid);
        Watch(run, process);
        Log.InstanceAdopted(_logger, run.InstanceId, pid);
        return true;
    }

    /// <summary>
    /// Stops a live process: the caller has already sent CANCEL; waits <paramref name="grace"/>, then
    /// SIGTERM, then SIGKILL. Returns once the process is gone (or immediately when none is live).
    /// </summary>
    public async Task StopProcessAsync(string instanceId, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (!_live.TryGetValue(instanceId, out var live))
        {
            return;
        }

        live.StopRequested = true;
        _stopsUnsettled[instanceId] = 0;
        await EscalateAsync(live, grace, cancellationToken).ConfigureAwait(false);
        await live.Settled.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stop that <see cref="StopProcessAsync"/> began has settled the run (or given up): it may be reconciled again.</summary>
    public void StopSettled(string instanceId) => _stopsUnsettled.TryRemove(instanceId, out _);

    /// <summary>Marks a live process as silent (heartbeat timeout) and ends it; its exit is then settled as a failure or retry.</summary>
    public async Task<bool> KillSilentAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (!_live.TryGetValue(instanceId, out var live))
        {
            return false;
        }

        live.Silent = true;
        await EscalateAsync(live, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        await live.Settled.WaitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Settles a run whose process is gone without this environment seeing it exit (restart, lost
    /// monitor): the core's status wins; a non-terminal instance is retried or failed with <paramref name="reason"/>.
    /// </summary>
    public async Task ReconcileAsync(RunRecord run, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var held = await LockAsync(run.InstanceId, cancellationToken).ConfigureAwait(false);
        var current = await _store.GetRunAsync(run.InstanceId, cancellationToken).ConfigureAwait(false);
        if (current is null || !current.IsActive || _live.ContainsKey(run.InstanceId) || _stopsUnsettled.ContainsKey(run.InstanceId) || !IsMine(current))
        {
            return;
        }

        await SettleAsync(current, new ProcessExit(null, ProcessMetrics.None), reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Handles a run this environment just claimed because its owner's lease expired (its process is on a dead or
    /// partitioned machine; the core fences that process's writes once the run is relaunched). The core's status
    /// decides: terminal is recorded, suspended is recorded (the wake path relaunches it), anything else is
    /// relaunched here from its last checkpoint. The relaunch does not use a retry: the machine failed, not the
    /// workflow. Returns what was done, or null when there was nothing to do.
    /// </summary>
    public async Task<string?> TakeOverAsync(string instanceId, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var run = await _store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (run is null || !run.IsActive || !IsMine(run) || _live.ContainsKey(instanceId))
        {
            return null;
        }

        var core = await _core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
        // The previous owner's process and pid mean nothing on this machine.
        run = run with { Pid = null, ProcessStartTicks = null };
        string action;
        if (core is null)
        {
            await FailLocallyAsync(run, "Taken over from an environment that stopped renewing its lease; the core does not know the instance").ConfigureAwait(false);
            action = "failed";
        }
        else if (RunStatusNames.FromCore(core.Status) is { } status && status is not (RunStatus.Pending or RunStatus.Running))
        {
            await RecordAsync(run, status, core).ConfigureAwait(false);
            action = status == RunStatus.Suspended ? "suspended" : "settled";
        }
        else
        {
            try
            {
                await LaunchAsync(run, core.HasCheckpointId ? core.CheckpointId : run.CheckpointId, "takeover", cancellationToken).ConfigureAwait(false);
                action = "relaunched";
            }
            catch (LaunchFailedException)
            {
                // Already recorded as failed.
                action = "launch failed";
            }
        }

        EnvironmentTelemetry.RunsTakenOver.Add(1, new KeyValuePair<string, object?>("action", action));
        Log.RunTakenOver(_logger, instanceId, InstanceService.StatusName(core?.Status ?? CoreStatus.StatusUnknown), action);
        return action;
    }

    /// <summary>
    /// Kills the local process of a run another environment now owns (it took the run over while this one could
    /// not renew its lease), without settling the run: its owner relaunched it, and the core fences this process.
    /// </summary>
    public async Task AbandonAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (!_live.TryGetValue(instanceId, out var live))
        {
            return;
        }

        live.StopRequested = true;
        live.Process.Kill();
        await live.Settled.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="run"/> is this environment's (runs recorded before ownership are claimed at start).</summary>
    public bool IsMine(RunRecord run) => string.Equals(run.OwnerId, _environmentId, StringComparison.Ordinal);

    /// <summary>True when <paramref name="run"/> is pending or running under another environment: its process (if any) lives there.</summary>
    public bool RunsElsewhere(RunRecord run) => run.IsActive && run.OwnerId is not null && !IsMine(run);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var live in _live.Values)
        {
            await live.Process.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private void Watch(RunRecord run, IRunningInstance process)
    {
        var live = new LiveRun(process, Directory(run).Path);
        _live[run.InstanceId] = live;
        var elapsed = TimeSpan.FromMilliseconds(Math.Max(0, Now() - run.UpdatedAtMs));
        var timeout = TimeSpan.FromSeconds(run.TimeoutSeconds) - elapsed;
        // The watch lives as long as the process: detach it from the request that launched it, or the
        // start trace would stay open and collect every later call. Settling links back to the launch.
        var launch = Activity.Current?.Context;
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => MonitorAsync(run.InstanceId, live, timeout, launch));
        }
    }

    private async Task MonitorAsync(string instanceId, LiveRun live, TimeSpan timeout, ActivityContext? launch)
    {
        try
        {
            var exited = live.Process.Exited;
            var timer = Task.Delay(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero, _time, _stopping.Token);
            if (await Task.WhenAny(exited, timer).ConfigureAwait(false) == timer && !_stopping.IsCancellationRequested && !live.StopRequested)
            {
                live.TimedOut = true;
                Log.InstanceTimedOut(_logger, instanceId, timeout);
                await EscalateAsync(live, TimeSpan.Zero, _stopping.Token).ConfigureAwait(false);
            }

            var exit = await exited.WaitAsync(_stopping.Token).ConfigureAwait(false);

            // Settling the exit is a trace of its own, linked to the launch that started the process.
            using var settling = EnvironmentTelemetry.Source.StartActivity(
                "SettleInstance", ActivityKind.Internal, parentContext: default, links: launch is { } link ? [new ActivityLink(link)] : null);
            settling?.SetTag("runtara.instance_id", instanceId);
            using var held = await LockAsync(instanceId, CancellationToken.None).ConfigureAwait(false);
            _live.TryRemove(instanceId, out _);
            // Before anything of the run directory is read: the instance's user loses it here.
            _users.Release(instanceId, live.RunDirectory);
            var run = await _store.GetRunAsync(instanceId, CancellationToken.None).ConfigureAwait(false);
            if (run is not null && run.OwnerId is not null && !IsMine(run))
            {
                // Another environment took the run over (this one lost its lease): the outcome is its owner's to settle.
                _runner.Forget(instanceId);
                Log.ExitOfLostRunIgnored(_logger, instanceId, run.OwnerId);
            }
            else if (run is not null)
            {
                await OnExitedAsync(run, live, exit).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Environment shutdown: the process keeps running and is re-adopted on the next start.
        }
        catch (Exception ex)
        {
            Log.MonitorFailed(_logger, instanceId, ex);
        }
        finally
        {
            _live.TryRemove(new KeyValuePair<string, LiveRun>(instanceId, live));
            live.MarkSettled();
            await live.Process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task OnExitedAsync(RunRecord run, LiveRun live, ProcessExit exit)
    {
        Log.InstanceExited(_logger, run.InstanceId, exit.ExitCode);
        if (live.StopRequested)
        {
            // StopInstance settles the status; record what the process left behind.
            await _store.UpdateRunAsync(WithExit(run, exit), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var reason = ExitDecision.Reason(live.TimedOut, live.Silent, exit.ExitCode, run.TimeoutSeconds, _options.HeartbeatTimeout, exit.Failure);
        await SettleAsync(run, exit, reason, CancellationToken.None, forceFail: live.TimedOut).ConfigureAwait(false);
    }

    /// <summary>Applies the outcome of an ended process (the caller holds the lock) as <see cref="ExitDecision"/> decides.</summary>
    private async Task SettleAsync(RunRecord run, ProcessExit exit, string reason, CancellationToken cancellationToken, bool forceFail = false)
    {
        // A run settled after a restart may still belong to its instance's user: take it back first.
        _users.Reclaim(Directory(run).Path);
        // Nothing of a run outlives its settling (a run that ended while the environment was down left its cgroup).
        _runner.Forget(run.InstanceId);
        run = WithExit(run, exit);
        var core = await _core.GetStatusAsync(run.InstanceId, cancellationToken).ConfigureAwait(false);
        var output = Directory(run).ReadOutput();
        var decision = ExitDecision.Decide(core?.Status, output, run.RetryCount, run.MaxRetries, forceFail);
        if (core is null || decision.Action == ExitAction.FailLocally)
        {
            await FailLocallyAsync(run, $"{reason}; the core does not know the instance").ConfigureAwait(false);
            return;
        }

        switch (decision.Action)
        {
            case ExitAction.RecordCoreStatus:
                await RecordAsync(run, decision.Settled, core).ConfigureAwait(false);
                return;

            case ExitAction.Superseded:
                // Neither a failure nor a reason to relaunch: a newer process of the instance is running it.
                Log.ExitOfSupersededProcess(_logger, run.InstanceId, exit.ExitCode);
                await _store.UpdateRunAsync(run, cancellationToken).ConfigureAwait(false);
                return;

            case ExitAction.ReportOutput:
                var result = output?.Result is { } json ? Encoding.UTF8.GetBytes(json) : null;
                var applied = await _core.FinishAsync(run.InstanceId, decision.Report, output?.Error, result, core.Status, cancellationToken).ConfigureAwait(false);
                await RecordAsync(run, RunStatusNames.FromCore(applied.Status) ?? RunStatus.Failed, await _core.GetStatusAsync(run.InstanceId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return;

            case ExitAction.Retry or ExitAction.Relaunch:
                // A core outage is a wait, not a failure: its relaunch keeps the retry budget.
                var retry = decision.Action == ExitAction.Retry ? run with { RetryCount = run.RetryCount + 1, UpdatedAtMs = Now() } : run with { UpdatedAtMs = Now() };
                if (decision.Action == ExitAction.Retry)
                {
                    Log.InstanceRetried(_logger, run.InstanceId, retry.RetryCount, run.MaxRetries, reason);
                }
                else
                {
                    Log.InstanceRelaunchedAfterCoreOutage(_logger, run.InstanceId, output?.Error ?? reason);
                }

                await _store.UpdateRunAsync(retry, cancellationToken).ConfigureAwait(false);
                try
                {
                    await LaunchAsync(retry, core.HasCheckpointId ? core.CheckpointId : run.CheckpointId, "retry", cancellationToken).ConfigureAwait(false);
                }
                catch (LaunchFailedException)
                {
                    // Already recorded as failed.
                }

                return;

            default:
                var stderr = run.StderrTail is { Length: > 0 } tail ? $"\n{tail.TrimEnd()}" : string.Empty;
                var error = reason + stderr;
                var finish = await _core.FinishAsync(run.InstanceId, CoreStatus.StatusFailed, error, null, core.Status, cancellationToken).ConfigureAwait(false);
                if (finish.Applied)
                {
                    EnvironmentTelemetry.InstancesFailed.Add(1);
                    Log.InstanceFailed(_logger, run.InstanceId, reason);
                }

                await RecordAsync(run with { Error = finish.Applied ? error : run.Error }, RunStatusNames.FromCore(finish.Status) ?? RunStatus.Failed,
                    await _core.GetStatusAsync(run.InstanceId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return;
        }
    }

    private async Task RecordAsync(RunRecord run, RunStatus status, Protocol.Management.GetInstanceStatusResponse? core)
    {
        var now = Now();
        var updated = run with
        {
            Status = status,
            FinishedAtMs = status is RunStatus.Running or RunStatus.Pending ? null : core?.HasFinishedAtMs == true ? core.FinishedAtMs : now,
            CheckpointId = core?.HasCheckpointId == true ? core.CheckpointId : run.CheckpointId,
            Error = status == RunStatus.Failed ? (core?.HasError == true ? core.Error : run.Error) : run.Error,
            Pid = null,
            ProcessStartTicks = null,
            UpdatedAtMs = now,
        };
        await _store.UpdateRunAsync(updated, CancellationToken.None).ConfigureAwait(false);
        if (updated.IsTerminal)
        {
            EnvironmentTelemetry.InstancesFinished.Add(1, new KeyValuePair<string, object?>("status", status.ToStorage()));
        }
    }

    private async Task FailLocallyAsync(RunRecord run, string error)
    {
        var now = Now();
        await _store.UpdateRunAsync(run with { Status = RunStatus.Failed, Error = error, FinishedAtMs = now, Pid = null, ProcessStartTicks = null, UpdatedAtMs = now }, CancellationToken.None).ConfigureAwait(false);
        EnvironmentTelemetry.InstancesFailed.Add(1);
        Log.InstanceFailed(_logger, run.InstanceId, error);
    }

    private RunRecord WithExit(RunRecord run, ProcessExit exit) => run with
    {
        ExitCode = exit.ExitCode ?? run.ExitCode,
        MemoryPeakBytes = Max(run.MemoryPeakBytes, exit.Metrics.MemoryPeakBytes),
        CpuUsageUsec = exit.Metrics.CpuUsageUsec is { } cpu ? (run.CpuUsageUsec ?? 0) + cpu : run.CpuUsageUsec,
        StderrTail = Directory(run).ReadStderrTail(_options.StderrTailBytes) ?? run.StderrTail,
        Pid = null,
        ProcessStartTicks = null,
        UpdatedAtMs = Now(),
    };

    private async Task TryFinishAtCoreAsync(string instanceId, CoreStatus status, string? error, byte[]? output, CoreStatus? expected)
    {
        try
        {
            await _core.FinishAsync(instanceId, status, error, output, expected, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EnvironmentException ex)
        {
            Log.CoreUpdateFailed(_logger, instanceId, ex.Message);
        }
    }

    private async Task EscalateAsync(LiveRun live, TimeSpan grace, CancellationToken cancellationToken)
    {
        var exited = live.Process.Exited;
        if (grace > TimeSpan.Zero && await WaitAsync(exited, grace, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        live.Process.Terminate();
        if (await WaitAsync(exited, _options.TerminateGracePeriod, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        live.Process.Kill();
        await WaitAsync(exited, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private sealed class LiveRun(IRunningInstance process, string runDirectory)
    {
        private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IRunningInstance Process { get; } = process;

        public string RunDirectory { get; } = runDirectory;

        public volatile bool StopRequested;

        public volatile bool TimedOut;

        public volatile bool Silent;

        /// <summary>Completes once the exit has been handled (status settled).</summary>
        public Task Settled => _settled.Task;

        public void MarkSettled() => _settled.TrySetResult();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Runtara.Sdk.Backends;
using Runtara.Sdk.Diagnostics;

namespace Runtara.Sdk.Workflows;

/// <summary>
/// The state of one run of one instance: registration, the replay decision, signals seen so far, and
/// the background heartbeat and signal-poll loops. Nothing here holds a lock while workflow code
/// runs, so a long step never starves the heartbeat (SPEC §19.13).
/// </summary>
internal sealed class InstanceRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly CancellationTokenSource _stopLoops = new();
    private readonly ConcurrentDictionary<string, byte> _written = new(StringComparer.Ordinal);
    private readonly List<Task> _loops = [];
    private readonly List<PeriodicTimer> _timers = [];
    private int _cancelRequested;
    private int _pauseRequested;
    private int _unknownSignalLogged;
    private string? _lastCheckpointId;
    private bool _pastReplay;
    private bool _ranBefore;
    private bool _fresh;

    public InstanceRun(IInstanceBackend backend, RuntaraInstanceOptions options, InstanceIdentity identity, ILogger logger, CancellationToken hostToken)
    {
        Backend = backend;
        Options = options;
        InstanceId = identity.InstanceId;
        TenantId = identity.TenantId;
        Logger = logger;
        HostToken = hostToken;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(hostToken);
    }

    public IInstanceBackend Backend { get; }

    public RuntaraInstanceOptions Options { get; }

    public string InstanceId { get; }

    public string TenantId { get; }

    public ILogger Logger { get; }

    public TimeProvider Time => Options.TimeProvider;

    /// <summary>The caller's token (host shutdown).</summary>
    public CancellationToken HostToken { get; }

    /// <summary>Cancelled by a CANCEL signal or by the host.</summary>
    public CancellationToken CancellationToken => _cancel.Token;

    public bool CancelRequested => Volatile.Read(ref _cancelRequested) != 0;

    public bool PauseRequested => Volatile.Read(ref _pauseRequested) != 0;

    /// <summary>True when the instance had checkpoints before this run (a relaunch that replays).</summary>
    public bool Replaying => !_fresh;

    /// <summary>
    /// True once this run does something for the first time (a step's action runs, a value is recorded
    /// or a wait is still open): from there on the workflow is past what earlier runs did.
    /// </summary>
    public bool PastReplay => !_ranBefore || Volatile.Read(ref _pastReplay);

    /// <summary>Marks the point where this run goes beyond what earlier runs did.</summary>
    public void MarkPastReplay() => Volatile.Write(ref _pastReplay, true);

    /// <summary>The last checkpoint id this run wrote or read back.</summary>
    public string? LastCheckpointId => Volatile.Read(ref _lastCheckpointId);

    public long NowMs() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Registers the instance, decides whether it replays, and starts the background loops.</summary>
    public async Task StartAsync(string backendName, CancellationToken cancellationToken)
    {
        // Replay optimisation: an instance that has no checkpoint at all (the core's "last checkpoint"
        // is empty and the environment did not name one) cannot have a stored result for any key, so
        // this run skips the GetCheckpoint lookup before each step — one round trip per step instead
        // of two. Keys this run writes are remembered, so a key used twice still reads its first
        // result back. If a second process ran the same instance concurrently, save-if-absent still
        // makes both return the first stored result. The core answers the registration with the
        // last checkpoint id (read in the registration's own transaction); only a backend that
        // cannot tell is asked for the status afterwards.
        var registration = await Backend.RegisterAsync(InstanceId, TenantId, checkpointId: null, cancellationToken).ConfigureAwait(false);
        var hasCheckpoint = registration.HasCheckpoint;
        _ranBefore = registration.RanBefore || hasCheckpoint == true;
        if (Options.CheckpointId is null)
        {
            hasCheckpoint ??= (await Backend.GetStatusAsync(InstanceId, cancellationToken).ConfigureAwait(false)).CheckpointId is not null;
            _fresh = hasCheckpoint == false;
        }

        Log.InstanceRegistered(Logger, InstanceId, TenantId, backendName, Replaying);
        // The loops wait on PeriodicTimers; stopping disposes the timers, which ends the waits
        // without an exception (most runs are short and stop both loops before their first tick).
        if (Options.HeartbeatInterval > TimeSpan.Zero)
        {
            var timer = new PeriodicTimer(Options.HeartbeatInterval, Time);
            _timers.Add(timer);
            _loops.Add(HeartbeatLoopAsync(timer, _stopLoops.Token));
        }

        var pollTimer = new PeriodicTimer(Options.SignalPollInterval, Time);
        _timers.Add(pollTimer);
        _loops.Add(SignalLoopAsync(pollTimer, _stopLoops.Token));
    }

    /// <summary>True unless this run knows the key cannot have a checkpoint yet.</summary>
    public bool MayHaveCheckpoint(string checkpointId) => !_fresh || _written.ContainsKey(checkpointId);

    /// <summary>Remembers a checkpoint this run saved; returns false if the key was already written in this run.</summary>
    public bool MarkWritten(string checkpointId)
    {
        Volatile.Write(ref _lastCheckpointId, checkpointId);
        return _written.TryAdd(checkpointId, 0);
    }

    /// <summary>Reacts to an instance-wide signal from a checkpoint response or a poll.</summary>
    public void OnSignal(PendingSignal? signal)
    {
        if (signal is null)
        {
            return;
        }

        switch (signal.Kind)
        {
            case SignalKind.Cancel:
                if (Interlocked.Exchange(ref _cancelRequested, 1) == 0)
                {
                    Log.SignalReceived(Logger, InstanceId, SignalKind.Cancel);

                    // CancelAsync runs the workflow's registrations off this (poller or step) thread.
                    _ = _cancel.CancelAsync();
                }

                break;
            case SignalKind.Pause:
                if (Interlocked.Exchange(ref _pauseRequested, 1) == 0)
                {
                    Log.SignalReceived(Logger, InstanceId, SignalKind.Pause);
                }

                break;
            case SignalKind.Resume:
                // Informational (SPEC §9.2): acknowledge so it is not delivered again.
                Log.SignalReceived(Logger, InstanceId, SignalKind.Resume);
                _ = AcknowledgeQuietlyAsync(SignalKind.Resume);
                break;
            default:
                if (Interlocked.Exchange(ref _unknownSignalLogged, 1) == 0)
                {
                    Log.UnknownSignalIgnored(Logger, InstanceId);
                }

                break;
        }
    }

    /// <summary>
    /// The checkpoint boundary where signals take effect: CANCEL throws <see cref="OperationCanceledException"/>
    /// on the run's token, PAUSE throws <see cref="WorkflowInterruptedException"/>.
    /// </summary>
    public void ThrowIfStopping(CancellationToken cancellationToken = default)
    {
        if (Backend.Superseded(InstanceId) is { } superseded)
        {
            throw new InstanceSupersededException(InstanceId, superseded.Message, superseded);
        }

        if (CancelRequested || HostToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The instance was cancelled.", null, CancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (PauseRequested)
        {
            throw new WorkflowInterruptedException(InterruptionReason.Paused, LastCheckpointId);
        }
    }

    public Activity? StartActivity(string name, string? key)
    {
        if (Options.DisableTracing)
        {
            return null;
        }

        var activity = SdkTelemetry.Source.StartActivity(name, ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("runtara.instance.id", InstanceId);
            if (key is not null)
            {
                activity.SetTag("runtara.step.key", key);
            }
        }

        return activity;
    }

    /// <summary>
    /// Acknowledges <paramref name="kind"/> and waits (bounded) until the backend shows it applied:
    /// SignalAck is one-way on the wire, and the process is about to exit, so an ack lost with the
    /// connection would leave a PAUSE pending that re-pauses the resumed instance.
    /// </summary>
    public async Task<bool> AcknowledgeAndConfirmAsync(SignalKind kind, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Math.Min(Options.RequestTimeout.TotalSeconds, 10) * Stopwatch.Frequency);
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            await Backend.AcknowledgeSignalAsync(InstanceId, kind, cancellationToken).ConfigureAwait(false);
            bool applied;
            if (kind == SignalKind.Cancel)
            {
                var status = await Backend.GetStatusAsync(InstanceId, cancellationToken).ConfigureAwait(false);
                applied = status.Status is InstanceStatus.Cancelled or InstanceStatus.Completed or InstanceStatus.Failed;
            }
            else
            {
                var pending = await Backend.PollSignalsAsync(InstanceId, cancellationToken).ConfigureAwait(false);
                applied = pending?.Kind != kind;
            }

            if (applied)
            {
                return true;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
    }

    /// <summary>Stops the heartbeat and signal loops and waits for them.</summary>
    public async Task StopLoopsAsync()
    {
        foreach (var timer in _timers)
        {
            timer.Dispose();
        }

        if (_loops.Exists(loop => !loop.IsCompleted) && !_stopLoops.IsCancellationRequested)
        {
            // A heartbeat or poll is in flight: cut it short.
            await _stopLoops.CancelAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopLoopsAsync().ConfigureAwait(false);
        _stopLoops.Dispose();
        _cancel.Dispose();
    }

    private async Task AcknowledgeQuietlyAsync(SignalKind kind)
    {
        try
        {
            await Backend.AcknowledgeSignalAsync(InstanceId, kind, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RuntaraException or OperationCanceledException or ObjectDisposedException)
        {
            Log.SignalPollFailed(Logger, InstanceId, ex);
        }
    }

    /// <summary>A newer process registered the instance: stop the workflow at once (its next call would be refused anyway).</summary>
    private async Task OnSupersededAsync()
    {
        try
        {
            await _cancel.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The run already ended.
        }
    }

    private async Task HeartbeatLoopAsync(PeriodicTimer timer, CancellationToken stop)
    {
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                await Backend.SendEventAsync(InstanceEvents.Heartbeat(InstanceId, NowMs()), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (InstanceSupersededException)
            {
                await OnSupersededAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RuntaraException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                Log.HeartbeatFailed(Logger, InstanceId, ex);
            }
        }
    }

    private async Task SignalLoopAsync(PeriodicTimer timer, CancellationToken stop)
    {
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                OnSignal(await Backend.PollSignalsAsync(InstanceId, stop).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (InstanceSupersededException)
            {
                await OnSupersededAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RuntaraException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                Log.SignalPollFailed(Logger, InstanceId, ex);
            }
        }
    }
}

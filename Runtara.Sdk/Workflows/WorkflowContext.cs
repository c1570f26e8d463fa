using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Runtara.Sdk.Backends;
using Runtara.Sdk.Diagnostics;
using Runtara.Sdk.Workflows;

namespace Runtara.Sdk;

/// <summary>
/// The durable operations of a running instance, handed to the workflow. Every operation is keyed:
/// a key names the same operation on every run (use <see cref="StepKey.For(string, ReadOnlySpan{long})"/>
/// inside loops), which is how a relaunched instance finds what already happened. Operations may be
/// called concurrently (e.g. <c>Task.WhenAll</c> over steps with distinct keys).
/// </summary>
public sealed partial class WorkflowContext
{
    private readonly InstanceRun _run;

    internal WorkflowContext(InstanceRun run)
    {
        _run = run;
        ReplaySafeLogger = new ReplaySafeLogger(run.Logger, () => run.PastReplay);
    }

    /// <summary>The instance id.</summary>
    public string InstanceId => _run.InstanceId;

    /// <summary>The tenant of the instance.</summary>
    public string TenantId => _run.TenantId;

    /// <summary>Cancelled when the instance receives CANCEL (or the host stops). Pass it to your I/O.</summary>
    public CancellationToken CancellationToken => _run.CancellationToken;

    /// <summary>
    /// True when the instance had checkpoints before this run started (a relaunch after a crash, a
    /// sleep or a pause): completed steps are returning stored results.
    /// </summary>
    public bool IsReplaying => _run.Replaying;

    /// <summary>A logger for workflow code (category <c>Runtara.Sdk.Workflow</c>).</summary>
    public ILogger Logger => _run.Logger;

    /// <summary>
    /// <see cref="Logger"/>, silent while a relaunched run replays what earlier runs already did: a
    /// message written between two steps appears once per instance, not once per relaunch. It speaks
    /// from the first operation this run does for the first time (a step's action runs, a value is
    /// recorded, a wait is still open).
    /// </summary>
    public ILogger ReplaySafeLogger { get; }

    /// <summary>The clock the SDK uses for sleeps and retry delays.</summary>
    public TimeProvider TimeProvider => _run.Time;

    /// <summary>
    /// Runs <paramref name="action"/> once per instance: its result is checkpointed under
    /// <paramref name="key"/> (save-if-absent), and on any later run the stored result is returned
    /// without running the action. Failed attempts are retried by <paramref name="retry"/> (default:
    /// <see cref="RuntaraInstanceOptions.DefaultRetryPolicy"/>), each retry recorded with the core;
    /// failures are never stored, so a relaunch runs a failed step again.
    /// </summary>
    /// <exception cref="StepFailedException">The last attempt failed.</exception>
    public Task<T> StepAsync<T>(string key, Func<CancellationToken, Task<T>> action, JsonTypeInfo<T> typeInfo, RetryPolicy? retry = null, CancellationToken cancellationToken = default) =>
        StepCoreAsync(key, action, typeInfo, retry, timeout: null, cancellationToken);

    /// <summary>
    /// A step run with <paramref name="options"/> (retry policy and per-attempt timeout); otherwise as
    /// <see cref="StepAsync{T}(string, Func{CancellationToken, Task{T}}, JsonTypeInfo{T}, RetryPolicy?, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="StepFailedException">The last attempt failed (a timed-out attempt fails with <see cref="TimeoutException"/>).</exception>
    public Task<T> StepAsync<T>(string key, Func<CancellationToken, Task<T>> action, JsonTypeInfo<T> typeInfo, StepOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Timeout is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero, nameof(options));
        }

        return StepCoreAsync(key, action, typeInfo, options.Retry, options.Timeout, cancellationToken);
    }

    /// <summary>A step run with <paramref name="options"/>, serialized with <see cref="RuntaraInstanceOptions.SerializerOptions"/>.</summary>
    public Task<T> StepAsync<T>(string key, Func<CancellationToken, Task<T>> action, StepOptions options, CancellationToken cancellationToken = default) =>
        StepAsync(key, action, _run.Options.GetTypeInfo<T>(), options, cancellationToken);

    /// <summary>A step without a result, run with <paramref name="options"/> (retry policy and per-attempt timeout).</summary>
    public Task StepAsync(string key, Func<CancellationToken, Task> action, StepOptions options, CancellationToken cancellationToken = default) =>
        StepAsync(key, WithoutResult(action), SdkJsonContext.Default.Boolean, options, cancellationToken);

    private async Task<T> StepCoreAsync<T>(string key, Func<CancellationToken, Task<T>> action, JsonTypeInfo<T> typeInfo, RetryPolicy? retry, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        StepKey.Validate(key);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(typeInfo);
        _run.ThrowIfStopping(cancellationToken);

        var checkpointId = StepKey.Step(key);
        var started = Stopwatch.GetTimestamp();
        using var activity = _run.StartActivity("step", key);
        using var linked = Link(cancellationToken);
        var token = linked?.Token ?? _run.CancellationToken;
        try
        {
            if (_run.MayHaveCheckpoint(checkpointId))
            {
                var stored = await _run.Backend.GetCheckpointAsync(_run.InstanceId, checkpointId, token).ConfigureAwait(false);
                if (stored is { } bytes && TryDeserialize(checkpointId, bytes, typeInfo, out var replayed))
                {
                    _run.MarkWritten(checkpointId);
                    activity?.SetTag("runtara.step.replayed", true);
                    Log.StepReplayed(_run.Logger, key);
                    SdkTelemetry.RecordStep("replayed", started);
                    return replayed;
                }
            }

            _run.MarkPastReplay();
            var result = await ExecuteWithRetriesAsync(key, checkpointId, action, retry ?? _run.Options.DefaultRetryPolicy, timeout, activity, token).ConfigureAwait(false);
            var state = Serialize(checkpointId, result, typeInfo, static (value, type) => PooledJson.Serialize(value, type));

            // Saved with no token at all, only the request deadline (RequestTimeout): the action's
            // side effect has happened, so a cancel or host shutdown arriving now (the caller's
            // token is usually the run's, which is linked to shutdown) must not drop its result,
            // or the relaunch would run the action a second time.
            var saved = await _run.Backend.CheckpointAsync(_run.InstanceId, checkpointId, state.Written, CancellationToken.None).ConfigureAwait(false);
            state.Return();
            if (!_run.MarkWritten(checkpointId))
            {
                Log.DuplicateStepKey(_run.Logger, key);
            }

            _run.OnSignal(saved.Signal);
            if (saved.Found && TryDeserialize(checkpointId, saved.State, typeInfo, out var winner))
            {
                // Someone saved this key first (a duplicate key, or a concurrent run): its result wins.
                result = winner;
            }

            SdkTelemetry.RecordStep("executed", started);

            // Signals take effect at checkpoints: the result is stored, so a paused or cancelled
            // instance replays it on its next run.
            _run.ThrowIfStopping(cancellationToken);
            return result;
        }
        catch (Exception ex) when (ex is not WorkflowInterruptedException and not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            SdkTelemetry.RecordStep("failed", started);
            throw;
        }
    }

    /// <summary>A step whose result is serialized with <see cref="RuntaraInstanceOptions.SerializerOptions"/>.</summary>
    public Task<T> StepAsync<T>(string key, Func<CancellationToken, Task<T>> action, RetryPolicy? retry = null, CancellationToken cancellationToken = default) =>
        StepAsync(key, action, _run.Options.GetTypeInfo<T>(), retry, cancellationToken);

    /// <summary>A step without a result: it runs once per instance; a relaunch skips it once it completed.</summary>
    public Task StepAsync(string key, Func<CancellationToken, Task> action, RetryPolicy? retry = null, CancellationToken cancellationToken = default) =>
        StepAsync(key, WithoutResult(action), SdkJsonContext.Default.Boolean, retry, cancellationToken);

    /// <summary>A step action without a result as one that stores <c>true</c>: its checkpoint marks it done.</summary>
    private static Func<CancellationToken, Task<bool>> WithoutResult(Func<CancellationToken, Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return async token =>
        {
            await action(token).ConfigureAwait(false);
            return true;
        };
    }

    /// <summary>
    /// A durable sleep. The wake-up time is checkpointed under <paramref name="key"/> the first time,
    /// so every later run measures from the same moment: a sleep whose time has passed returns at once.
    /// A remaining time below <see cref="RuntaraInstanceOptions.InProcessSleepThreshold"/> is waited in
    /// the process; a longer one asks the core to suspend the instance, and this call then throws
    /// <see cref="WorkflowInterruptedException"/> so the process can exit; the environment relaunches
    /// the instance after the wake-up time and the workflow replays up to here and continues.
    /// </summary>
    public async Task SleepAsync(string key, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        StepKey.Validate(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        _run.ThrowIfStopping(cancellationToken);

        var checkpointId = StepKey.Sleep(key);
        using var activity = _run.StartActivity("sleep", key);
        var now = _run.NowMs();
        var requested = new SleepState(now + (long)duration.TotalMilliseconds);
        var state = JsonSerializer.SerializeToUtf8Bytes(requested, SdkJsonContext.Default.SleepState);
        // The wake-up time is saved like a step's result (request deadline only): once computed it
        // is the sleep's anchor, and a shutdown now must not make the relaunch measure from later.
        var saved = await _run.Backend.CheckpointAsync(_run.InstanceId, checkpointId, state, CancellationToken.None).ConfigureAwait(false);
        _run.MarkWritten(checkpointId);
        _run.OnSignal(saved.Signal);
        var wakeAtMs = saved.Found && TryDeserialize(checkpointId, saved.State, SdkJsonContext.Default.SleepState, out var stored)
            ? stored.WakeAtMs
            : requested.WakeAtMs;
        activity?.SetTag("runtara.sleep.wake_at_ms", wakeAtMs);
        _run.ThrowIfStopping(cancellationToken);

        var remaining = wakeAtMs - _run.NowMs();
        if (remaining <= 0)
        {
            return;
        }

        _run.MarkPastReplay();

        using var linked = Link(cancellationToken);
        var token = linked?.Token ?? _run.CancellationToken;
        if (remaining < _run.Options.InProcessSleepThreshold.TotalMilliseconds)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(remaining), _run.Time, token).ConfigureAwait(false);
            return;
        }

        var result = await _run.Backend.SleepAsync(_run.InstanceId, checkpointId, remaining, state, token).ConfigureAwait(false);
        if (result.Suspended)
        {
            var wakeAt = DateTimeOffset.FromUnixTimeMilliseconds(result.WakeAtMs);
            Log.InstanceSleeping(_run.Logger, _run.InstanceId, wakeAt, checkpointId);
            throw new WorkflowInterruptedException(InterruptionReason.Sleeping, checkpointId, wakeAt);
        }
    }

    /// <summary>Waits for the custom signal <paramref name="name"/>, deserialized with <see cref="RuntaraInstanceOptions.SerializerOptions"/>.</summary>
    public Task<T> WaitForSignalAsync<T>(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForSignalAsync(name, _run.Options.GetTypeInfo<T>(), timeout, cancellationToken);

    /// <summary>
    /// The current time, recorded durably under <paramref name="key"/> (checkpoint <c>now:key</c>) the
    /// first time it is asked for: every later run of the instance gets the same value, so a workflow
    /// that branches on the time replays the same branch. Keys follow the rules of step keys and are
    /// separate from them (<c>"started"</c> here never collides with a step named <c>"started"</c>).
    /// </summary>
    public Task<DateTimeOffset> UtcNowAsync(string key, CancellationToken cancellationToken = default) =>
        RecordOnceAsync(key, StepKey.Now(key), () => _run.Time.GetUtcNow(), SdkJsonContext.Default.DateTimeOffset, cancellationToken);

    /// <summary>
    /// A new <see cref="Guid"/>, recorded durably under <paramref name="key"/> (checkpoint
    /// <c>guid:key</c>) the first time: every later run of the instance gets the same value (e.g. an
    /// idempotency key for a payment call).
    /// </summary>
    public Task<Guid> NewGuidAsync(string key, CancellationToken cancellationToken = default) =>
        RecordOnceAsync(key, StepKey.Guid(key), Guid.NewGuid, SdkJsonContext.Default.Guid, cancellationToken);

    /// <summary>
    /// Whether this instance runs the code path of patch <paramref name="patchId"/>: the way to change a
    /// workflow while instances of the old code are asleep, waiting or paused. True for an instance that
    /// reaches this call for the first time past everything earlier runs did (every new instance); false
    /// for one that is still replaying what an earlier run did, because that run went past this point
    /// on the old code. The answer is recorded under <c>patch:patchId</c> the first time, so every later
    /// run of the instance takes the same branch:
    /// <code>
    /// if (await ctx.IsPatchedAsync("charge-v2", ct))
    ///     charge = await ctx.StepAsync("charge-v2", ChargeWithTaxAsync, ct);
    /// else
    ///     charge = await ctx.StepAsync("charge", ChargeAsync, ct);
    /// </code>
    /// Once no instance started before the patch is alive, the old branch and the call can be removed.
    /// </summary>
    public Task<bool> IsPatchedAsync(string patchId, CancellationToken cancellationToken = default) =>
        // A new marker recorded while replaying does not end the replay: a later patch in the same
        // replay must see the same history (old code ran there too) and answer false as well.
        RecordOnceAsync(patchId, StepKey.Patch(patchId), () => _run.PastReplay, SdkJsonContext.Default.Boolean, cancellationToken, marksPastReplay: false);

    /// <summary>Sends a CUSTOM event (progress, debug output) with <paramref name="subtype"/>; stored, no status change.</summary>
    public Task SendEventAsync(string subtype, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        _run.Backend.SendEventAsync(InstanceEvents.Custom(_run.InstanceId, subtype, payload, _run.NowMs()), cancellationToken);

    /// <summary>
    /// Stores <paramref name="produce"/>'s value under <paramref name="checkpointId"/> unless a value is
    /// stored already, and returns the stored one. One save-if-absent round trip on every run (the core
    /// answers with the existing state), like the sleep's wake-up time.
    /// </summary>
    private async Task<T> RecordOnceAsync<T>(string key, string checkpointId, Func<T> produce, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken, bool marksPastReplay = true)
    {
        StepKey.Validate(key);
        _run.ThrowIfStopping(cancellationToken);
        var value = produce();

        // Request deadline only, as for a step's result: a value handed to the workflow must be the
        // one stored.
        var saved = await _run.Backend.CheckpointAsync(_run.InstanceId, checkpointId, Serialize(checkpointId, value, typeInfo), CancellationToken.None).ConfigureAwait(false);
        _run.MarkWritten(checkpointId);
        _run.OnSignal(saved.Signal);
        if (saved.Found && TryDeserialize(checkpointId, saved.State, typeInfo, out var stored))
        {
            value = stored;
        }
        else if (marksPastReplay)
        {
            _run.MarkPastReplay();
        }

        _run.ThrowIfStopping(cancellationToken);
        return value;
    }

    // A value task: a step whose action completed synchronously costs no task here.
    private async ValueTask<T> ExecuteWithRetriesAsync<T>(string key, string checkpointId, Func<CancellationToken, Task<T>> action, RetryPolicy policy, TimeSpan? timeout, Activity? activity, CancellationToken token)
    {
        for (var attempt = 1; ; attempt++)
        {
            // Each attempt gets its own deadline, on the run's clock; the run's token still stops it.
            using var attemptTimeout = timeout is null ? null : new CancellationTokenSource(timeout.Value, _run.Time);
            using var attemptToken = attemptTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(token, attemptTimeout.Token);
            Exception failure;
            try
            {
                return await action(attemptToken?.Token ?? token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStop(ex, token))
            {
                throw;
            }
            catch (OperationCanceledException ex) when (attemptTimeout is { IsCancellationRequested: true })
            {
                // A timed-out attempt is a failed attempt: the retry policy decides what follows.
                failure = new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"Attempt {attempt} of step '{key}' exceeded its timeout of {timeout}."), ex);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            if (policy.CanRetry(failure, attempt))
            {
                var ex = failure;
                var next = attempt + 1;
                var delay = policy.DelayBefore(next);
                Log.StepRetrying(_run.Logger, key, attempt, delay, ex);
                SdkTelemetry.Retries.Add(1);
                activity?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["runtara.retry.attempt"] = next, ["exception.message"] = ex.Message }));
                await Task.Delay(delay, _run.Time, token).ConfigureAwait(false);
                _run.ThrowIfStopping();
                try
                {
                    // SPEC §11/§15.5: attempt n (n >= 2) is recorded before it runs, with the previous error.
                    await _run.Backend.RecordRetryAttemptAsync(_run.InstanceId, checkpointId, next, ex.Message, _run.NowMs(), token).ConfigureAwait(false);
                }
                catch (Exception recordError) when (recordError is RuntaraException or IOException)
                {
                    Log.RetryRecordFailed(_run.Logger, checkpointId, next, recordError);
                }
            }
            else
            {
                activity?.SetTag("runtara.step.attempts", attempt);
                throw new StepFailedException(key, attempt, failure);
            }
        }
    }

    /// <summary>A source linking the run's token with the caller's, or null when the caller's adds nothing (none, or the run's own).</summary>
    private CancellationTokenSource? Link(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled && cancellationToken != _run.CancellationToken
            ? CancellationTokenSource.CreateLinkedTokenSource(_run.CancellationToken, cancellationToken)
            : null;

    private bool IsStop(Exception ex, CancellationToken token) =>
        ex is WorkflowInterruptedException
        || (ex is OperationCanceledException && (token.IsCancellationRequested || _run.CancelRequested));

    private byte[] Serialize<T>(string checkpointId, T value, JsonTypeInfo<T> typeInfo) =>
        Serialize(checkpointId, value, typeInfo, static (value, type) => JsonSerializer.SerializeToUtf8Bytes(value, type));

    private static TBytes Serialize<T, TBytes>(string checkpointId, T value, JsonTypeInfo<T> typeInfo, Func<T, JsonTypeInfo<T>, TBytes> serialize)
    {
        try
        {
            return serialize(value, typeInfo);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new CheckpointSerializationException(checkpointId, $"the result of type {typeof(T).Name} cannot be serialized: {ex.Message}", ex);
        }
    }

    private bool TryDeserialize<T>(string checkpointId, ReadOnlyMemory<byte> bytes, JsonTypeInfo<T> typeInfo, out T value)
    {
        try
        {
            value = JsonSerializer.Deserialize(bytes.Span, typeInfo)!;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            // SPEC §15.5: a stored value that no longer deserializes (the type changed) runs the step again.
            Log.StoredResultUnreadable(_run.Logger, checkpointId, ex);
            value = default!;
            return false;
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Diagnostics;

namespace Runtara.Sdk;

/// <summary>Durable waits: for signals, for child instances, with deadlines.</summary>
public sealed partial class WorkflowContext
{
    /// <summary>
    /// Waits for the custom signal <paramref name="name"/> and returns its payload, exactly once per
    /// instance: senders target the wait point by its name (SendCustomSignal with
    /// <c>checkpoint_id = name</c>). The wait is durable: after
    /// <see cref="RuntaraInstanceOptions.WaitGracePeriod"/> in the process the instance is suspended
    /// (the process exits, nothing holds it) and relaunched when the signal arrives; it replays to
    /// here and gets the payload. The core hands the payload over and stores the outcome as the
    /// checkpoint <c>wait:name</c> in one transaction, so every later run gets the same payload.
    /// </summary>
    /// <exception cref="SignalTimeoutException">No signal within <paramref name="timeout"/> (decided durably: a replay throws it again).</exception>
    public async Task<ReadOnlyMemory<byte>> WaitForSignalAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        StepKey.Validate(name);
        ValidateTimeout(timeout);

        // Instances that received the signal before waits became durable stored the raw payload here.
        var legacy = StepKey.Signal(name);
        if (_run.MayHaveCheckpoint(legacy)
            && await _run.Backend.GetCheckpointAsync(_run.InstanceId, legacy, _run.CancellationToken).ConfigureAwait(false) is { } delivered)
        {
            _run.MarkWritten(legacy);
            return delivered;
        }

        var outcome = await WaitCoreAsync(StepKey.Wait(name), [name], [], timeout, cancellationToken).ConfigureAwait(false);
        return outcome.Kind == WaitOutcome.SignalKind
            ? outcome.Payload ?? ReadOnlyMemory<byte>.Empty
            : throw new SignalTimeoutException(name, timeout ?? TimeSpan.Zero);
    }

    /// <summary>
    /// Waits for whichever of <paramref name="names"/> is signalled first (or the timeout), durably
    /// like <see cref="WaitForSignalAsync(string, TimeSpan?, CancellationToken)"/>. The winner is
    /// recorded under <paramref name="key"/> (checkpoint <c>wait:key</c>) when the wait is decided, so a
    /// replay reports the same signal; a signal that lost stays waiting at its own name.
    /// </summary>
    /// <returns>The signal that fired and its payload, or <see cref="SignalWaitResult.TimedOut"/>.</returns>
    public async Task<SignalWaitResult> WaitForAnySignalAsync(string key, IReadOnlyList<string> names, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        StepKey.Validate(key);
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            throw new ArgumentException("At least one signal name is needed.", nameof(names));
        }

        foreach (var name in names)
        {
            StepKey.Validate(name);
        }

        ValidateTimeout(timeout);
        var outcome = await WaitCoreAsync(StepKey.Wait(key), names, [], timeout, cancellationToken).ConfigureAwait(false);
        return outcome.Kind == WaitOutcome.SignalKind
            ? new SignalWaitResult { Signal = outcome.Signal, Payload = outcome.Payload ?? ReadOnlyMemory<byte>.Empty }
            : new SignalWaitResult();
    }

    /// <summary>Waits for the custom signal <paramref name="name"/> and deserializes its JSON payload.</summary>
    public async Task<T> WaitForSignalAsync<T>(string name, JsonTypeInfo<T> typeInfo, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var payload = await WaitForSignalAsync(name, timeout, cancellationToken).ConfigureAwait(false);
        return new SignalWaitResult { Signal = name, Payload = payload }.PayloadAs(typeInfo);
    }

    /// <summary>
    /// The durable wait loop: asks the core to decide the wait (stored outcome, a signal, the children's
    /// ends, the deadline), polling every <see cref="RuntaraInstanceOptions.SignalPollInterval"/> for the
    /// grace period and then asking it to suspend the instance, which ends this run with
    /// <see cref="WorkflowInterruptedException"/> (<see cref="InterruptionReason.Waiting"/>).
    /// </summary>
    private async Task<WaitOutcome> WaitCoreAsync(string checkpointId, IReadOnlyList<string> signals, IReadOnlyList<string> children, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        _run.ThrowIfStopping(cancellationToken);
        using var activity = _run.StartActivity("wait", checkpointId);
        using var linked = Link(cancellationToken);
        var token = linked?.Token ?? _run.CancellationToken;
        long? timeoutMs = timeout is { } t ? (long)t.TotalMilliseconds : null;
        var graceEndsMs = _run.NowMs() + (long)_run.Options.WaitGracePeriod.TotalMilliseconds;
        while (true)
        {
            var suspend = _run.NowMs() >= graceEndsMs;
            var result = await _run.Backend.WaitAsync(_run.InstanceId, checkpointId, signals, children, timeoutMs, suspend, token).ConfigureAwait(false);
            _run.OnSignal(result.Signal);
            if (result.Outcome is { } stored)
            {
                _run.MarkWritten(checkpointId);
                if (result.DecidedNow)
                {
                    _run.MarkPastReplay();
                }

                var outcome = WaitOutcome.TryParse(stored.Span)
                    ?? throw new CheckpointSerializationException(checkpointId, $"the stored wait outcome is not readable: {System.Text.Encoding.UTF8.GetString(stored.Span[..Math.Min(stored.Length, 200)])}");
                activity?.SetTag("runtara.wait.outcome", outcome.Kind);
                if (outcome.Kind == WaitOutcome.SignalKind)
                {
                    Log.CustomSignalReceived(_run.Logger, _run.InstanceId, outcome.Signal ?? checkpointId);
                }

                return outcome;
            }

            // Still open: whatever follows it is new to this instance.
            _run.MarkPastReplay();
            DateTimeOffset? deadline = result.DeadlineMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(result.DeadlineMs) : null;
            if (result.Suspended)
            {
                Log.InstanceWaiting(_run.Logger, _run.InstanceId, checkpointId, deadline);
                throw new WorkflowInterruptedException(InterruptionReason.Waiting, checkpointId, deadline);
            }

            _run.ThrowIfStopping(cancellationToken);
            var now = _run.NowMs();
            var delay = (long)_run.Options.SignalPollInterval.TotalMilliseconds;
            delay = Math.Min(delay, Math.Max(1, graceEndsMs - now));
            if (result.DeadlineMs > 0)
            {
                delay = Math.Min(delay, Math.Max(1, result.DeadlineMs - now));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(delay), _run.Time, token).ConfigureAwait(false);
        }
    }

    private static void ValidateTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(t, TimeSpan.Zero, nameof(timeout));
        }
    }
}

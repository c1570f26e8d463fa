using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Diagnostics;

namespace Runtara.Sdk;

/// <summary>Child instances: start once per key, await durably, fan out and in.</summary>
public sealed partial class WorkflowContext
{
    /// <summary>
    /// Starts a child instance of <paramref name="image"/> (name or id, in this instance's tenant) with
    /// <paramref name="input"/>, once per <paramref name="key"/>: the child's id is derived from this
    /// instance's id and the key, so a replay returns the same child instead of starting another. The
    /// core records the request and the environment starts the child (it counts against the tenant's
    /// quotas). By default cancelling this instance cancels the child (<see cref="ChildOptions.Detached"/>).
    /// </summary>
    public async Task<ChildInstance> StartChildAsync<TInput>(string image, TInput input, string key, JsonTypeInfo<TInput> inputType, ChildOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        ArgumentNullException.ThrowIfNull(inputType);
        StepKey.Validate(key);
        _run.ThrowIfStopping(cancellationToken);
        var json = Serialize($"child:{key}", input, inputType);
        using var activity = _run.StartActivity("start_child", key);

        // Request deadline only: a child recorded must be known to this run, whatever stops it now.
        var started = await _run.Backend.StartChildAsync(_run.InstanceId, key, image, json, options?.Detached ?? false, CancellationToken.None).ConfigureAwait(false);
        activity?.SetTag("runtara.child_id", started.ChildId);
        if (started.Created)
        {
            _run.MarkPastReplay();
            Log.ChildStarted(_run.Logger, _run.InstanceId, started.ChildId, image);
        }

        _run.ThrowIfStopping(cancellationToken);
        return new ChildInstance(key, started.ChildId);
    }

    /// <summary>Starts a child with an input serialized by <see cref="RuntaraInstanceOptions.SerializerOptions"/>.</summary>
    public Task<ChildInstance> StartChildAsync<TInput>(string image, TInput input, string key, ChildOptions? options = null, CancellationToken cancellationToken = default) =>
        StartChildAsync(image, input, key, _run.Options.GetTypeInfo<TInput>(), options, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="child"/> ended and returns how (a durable wait: after the grace
    /// period this instance is suspended and relaunched when the child ends). The result is recorded,
    /// so a replay returns it without waiting.
    /// </summary>
    public async Task<ChildResult> AwaitChildAsync(ChildInstance child, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(child);
        var results = await WaitForChildrenAsync(StepKey.ChildWait(child.Key), [child], cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Waits for <paramref name="child"/> and returns its output.</summary>
    /// <exception cref="ChildFailedException">The child ended FAILED or CANCELLED.</exception>
    public async Task<TOutput> AwaitChildAsync<TOutput>(ChildInstance child, JsonTypeInfo<TOutput> outputType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outputType);
        return (await AwaitChildAsync(child, cancellationToken).ConfigureAwait(false)).GetOutput(outputType);
    }

    /// <summary>
    /// Fan-in: waits until every one of <paramref name="children"/> ended (one durable wait, recorded under
    /// <paramref name="key"/>, checkpoint <c>wait:key</c>) and returns their results in the same order.
    /// A failed child does not throw here: look at <see cref="ChildResult.Status"/> or call
    /// <see cref="ChildResult.GetOutput{T}"/>.
    /// </summary>
    public Task<IReadOnlyList<ChildResult>> WhenAllChildrenAsync(string key, IReadOnlyList<ChildInstance> children, CancellationToken cancellationToken = default)
    {
        StepKey.Validate(key);
        ArgumentNullException.ThrowIfNull(children);
        if (children.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ChildResult>>([]);
        }

        return WaitForChildrenAsync(StepKey.Wait(key), children, cancellationToken);
    }

    private async Task<IReadOnlyList<ChildResult>> WaitForChildrenAsync(string checkpointId, IReadOnlyList<ChildInstance> children, CancellationToken cancellationToken)
    {
        var ids = children.Select(child => child.InstanceId).ToArray();
        var outcome = await WaitCoreAsync(checkpointId, [], ids, timeout: null, cancellationToken).ConfigureAwait(false);
        if (outcome.Kind != WaitOutcome.ChildrenKind || outcome.Children is null || outcome.Children.Count != ids.Length)
        {
            throw new CheckpointSerializationException(checkpointId, $"the stored wait outcome is '{outcome.Kind}', not the children's ends");
        }

        return [.. outcome.Children.Select(end => new ChildResult(end.InstanceId, end.Status, end.Output ?? ReadOnlyMemory<byte>.Empty, end.Error))];
    }
}

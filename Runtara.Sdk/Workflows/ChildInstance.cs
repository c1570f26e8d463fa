using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Runtara.Sdk;

/// <summary>A child instance started by <see cref="WorkflowContext.StartChildAsync{TInput}(string, TInput, string, JsonTypeInfo{TInput}, ChildOptions?, CancellationToken)"/>.</summary>
/// <param name="Key">The parent's key for the child.</param>
/// <param name="InstanceId">The child's instance id (derived from the parent's id and the key).</param>
public sealed record ChildInstance(string Key, string InstanceId);

/// <summary>How a child is started.</summary>
public sealed record ChildOptions
{
    /// <summary>When true, cancelling the parent leaves the child running; by default it is cancelled with its parent.</summary>
    public bool Detached { get; init; }
}

/// <summary>How a child instance ended.</summary>
/// <param name="InstanceId">The child.</param>
/// <param name="Status">Completed, Failed or Cancelled.</param>
/// <param name="Output">Its JSON output when it completed.</param>
/// <param name="Error">Its error when it failed or was cancelled.</param>
public sealed record ChildResult(string InstanceId, InstanceStatus Status, ReadOnlyMemory<byte> Output, string? Error)
{
    /// <summary>True when the child completed.</summary>
    public bool Succeeded => Status == InstanceStatus.Completed;

    /// <summary>The child's output as <typeparamref name="T"/>.</summary>
    /// <exception cref="ChildFailedException">The child did not complete.</exception>
    /// <exception cref="CheckpointSerializationException">The output is not valid JSON for <typeparamref name="T"/>.</exception>
    public T GetOutput<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (!Succeeded)
        {
            throw new ChildFailedException(InstanceId, Status, Error);
        }

        try
        {
            return JsonSerializer.Deserialize(Output.IsEmpty ? "null"u8 : Output.Span, typeInfo)!;
        }
        catch (JsonException ex)
        {
            throw new CheckpointSerializationException(InstanceId, $"the child's output is not valid JSON for {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}

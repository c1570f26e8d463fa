using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Runtara.Sdk;

/// <summary>
/// How a wait for the first of several signals ended: which signal fired (and its payload), or that
/// the timeout came first. Recorded by the core when the wait was decided, so every replay of the
/// instance gets the same result.
/// </summary>
public sealed record SignalWaitResult
{
    /// <summary>The name of the signal that fired; null when the wait timed out.</summary>
    public string? Signal { get; init; }

    /// <summary>The payload of <see cref="Signal"/> (empty when it timed out).</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>True when the timeout came before any signal.</summary>
    public bool TimedOut => Signal is null;

    /// <summary>The payload as JSON of <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidOperationException">The wait timed out.</exception>
    /// <exception cref="CheckpointSerializationException">The payload is not valid JSON for <typeparamref name="T"/>.</exception>
    public T PayloadAs<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (TimedOut)
        {
            throw new InvalidOperationException("The wait timed out: there is no payload.");
        }

        try
        {
            return JsonSerializer.Deserialize(Payload.Span, typeInfo)!;
        }
        catch (JsonException ex)
        {
            throw new CheckpointSerializationException(StepKey.Signal(Signal!), $"the signal payload is not valid JSON for {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}

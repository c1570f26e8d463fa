using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Protocol.Contracts;

/// <summary>
/// How a durable wait (instance protocol <c>Wait</c>) ended, as the core stores it — JSON, as the
/// checkpoint the wait names — and as every later run of the instance reads it back, so the winner of
/// a race between signals, children and the deadline is decided once (docs/protocol.md "Durable waits").
/// </summary>
public sealed record WaitOutcome
{
    /// <summary>A custom signal arrived at the wait point <see cref="Signal"/>.</summary>
    public const string SignalKind = "signal";

    /// <summary>Every awaited child ended (<see cref="Children"/>).</summary>
    public const string ChildrenKind = "children";

    /// <summary>The deadline passed first.</summary>
    public const string TimeoutKind = "timeout";

    /// <summary><see cref="SignalKind"/>, <see cref="ChildrenKind"/> or <see cref="TimeoutKind"/>.</summary>
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>The wait point whose signal won.</summary>
    [JsonPropertyName("signal")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Signal { get; init; }

    /// <summary>The winning signal's payload.</summary>
    [JsonPropertyName("payload")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? Payload { get; init; }

    /// <summary>The awaited children's ends, in the order they were awaited.</summary>
    [JsonPropertyName("children")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ChildOutcome>? Children { get; init; }

    /// <summary>The UTF-8 JSON the core stores.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, WaitOutcomeJsonContext.Default.WaitOutcome);

    /// <summary>Reads a stored outcome; null when <paramref name="json"/> is not one.</summary>
    public static WaitOutcome? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, WaitOutcomeJsonContext.Default.WaitOutcome);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One child's end inside a <see cref="WaitOutcome"/>.</summary>
public sealed record ChildOutcome
{
    /// <summary>The child instance id.</summary>
    [JsonPropertyName("id")]
    public required string InstanceId { get; init; }

    /// <summary>Its terminal status (completed, failed or cancelled).</summary>
    [JsonPropertyName("status")]
    public required InstanceStatus Status { get; init; }

    /// <summary>Its output (the completed event's payload), if any.</summary>
    [JsonPropertyName("output")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? Output { get; init; }

    /// <summary>Its error, when it failed or was cancelled with a reason.</summary>
    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}

/// <summary>Source-generated JSON for <see cref="WaitOutcome"/>.</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(WaitOutcome))]
internal sealed partial class WaitOutcomeJsonContext : JsonSerializerContext;

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Engine.Waits;

/// <summary>
/// What a SUSPENDED instance waits for, stored with the instance (column <c>waiting_for</c>): the
/// wait's outcome checkpoint, the signal names and children it waits on, and its deadline.
/// </summary>
public sealed record WaitPoint
{
    /// <summary>The checkpoint the outcome will be stored as.</summary>
    [JsonPropertyName("checkpoint")]
    public required string CheckpointId { get; init; }

    /// <summary>Custom-signal wait points.</summary>
    [JsonPropertyName("signals")]
    public IReadOnlyList<string> Signals { get; init; } = [];

    /// <summary>Awaited children (all of them).</summary>
    [JsonPropertyName("children")]
    public IReadOnlyList<string> Children { get; init; } = [];

    /// <summary>Server-clock deadline (Unix ms), if any.</summary>
    [JsonPropertyName("deadline")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? DeadlineMs { get; init; }

    /// <summary>The stored form.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, WaitPointJsonContext.Default.WaitPoint);

    /// <summary>The stored form read back; null for null or unreadable text.</summary>
    public static WaitPoint? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, WaitPointJsonContext.Default.WaitPoint);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Source-generated JSON for <see cref="WaitPoint"/>.</summary>
[JsonSerializable(typeof(WaitPoint))]
internal sealed partial class WaitPointJsonContext : JsonSerializerContext;

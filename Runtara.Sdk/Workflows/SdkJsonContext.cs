using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Sdk.Workflows;

/// <summary>The checkpoint state of a durable sleep: its wake-up time (Unix ms, the instance's clock).</summary>
internal sealed record SleepState(long WakeAtMs);

/// <summary>Source-generated JSON for the SDK's own checkpoint states (no reflection).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(SleepState))]
[JsonSerializable(typeof(DateTimeOffset))]
[JsonSerializable(typeof(Guid))]
internal sealed partial class SdkJsonContext : JsonSerializerContext;

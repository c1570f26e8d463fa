using System.Text.Json;

namespace Runtara.Environment.Runner.Oci;

/// <summary>
/// What an image's metadata (a JSON object given at registration) says about how it runs, under either runner:
/// <c>"runner": "process" | "oci"</c> overrides <c>Runtara:Environment:Runner</c>;
/// <c>"network": "host" | "none"</c> (null when not given: the OCI runner's default is none, the process
/// runner's <c>Runtara:Environment:ProcessNetwork</c>);
/// <c>"memoryLimitMb"</c>, <c>"pidsLimit"</c> and <c>"cpuLimit"</c> (cores) override the runner's default limits
/// (<c>Runtara:Environment:Oci:Default*</c>, <c>Runtara:Environment:ProcessDefault*</c>);
/// <c>"warm"</c> (0–64) overrides <c>Runtara:Environment:Oci:WarmContainers</c> (OCI runner) and
/// <c>Runtara:Environment:WarmProcesses</c> (process runner).
/// </summary>
internal sealed record OciImageSettings(RunnerKind? Runner, bool? HostNetwork, int? MemoryLimitMb, int? PidsLimit, double? CpuLimit)
{
    // No network setting: each runner keeps its own default (OCI: none; process: ProcessNetwork).
    public static OciImageSettings None { get; } = new(null, null, null, null, null);

    /// <summary>Warm containers or warm processes to keep for the image; null = the configured default.</summary>
    public int? Warm { get; init; }

    /// <summary>Parses <paramref name="metadata"/>; throws <see cref="FormatException"/> naming the key whose value is not understood.</summary>
    public static OciImageSettings Parse(string? metadata)
    {
        if (string.IsNullOrWhiteSpace(metadata))
        {
            return None;
        }

        using var document = JsonDocument.Parse(metadata);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return None;
        }

        RunnerKind? runner = null;
        if (root.TryGetProperty("runner", out var r))
        {
            runner = r.ValueKind == JsonValueKind.String && Enum.TryParse<RunnerKind>(r.GetString(), ignoreCase: true, out var kind) && Enum.IsDefined(kind)
                ? kind
                : throw new FormatException("image metadata \"runner\" must be \"process\" or \"oci\"");
        }

        bool? hostNetwork = null;
        if (root.TryGetProperty("network", out var n))
        {
            hostNetwork = n.ValueKind == JsonValueKind.String ? n.GetString() switch
            {
                "host" => true,
                "none" => false,
                _ => throw new FormatException("image metadata \"network\" must be \"none\" or \"host\""),
            } : throw new FormatException("image metadata \"network\" must be \"none\" or \"host\"");
        }

        var warm = Int(root, "warm", 0);
        return warm > 64
            ? throw new FormatException("image metadata \"warm\" must be a whole number from 0 to 64")
            : new(runner, hostNetwork, Int(root, "memoryLimitMb", 8), Int(root, "pidsLimit", 8), Cpu(root)) { Warm = warm };
    }

    private static int? Int(JsonElement root, string name, int minimum) =>
        !root.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= minimum ? number
        : throw new FormatException($"image metadata \"{name}\" must be a whole number of at least {minimum}");

    private static double? Cpu(JsonElement root) =>
        !root.TryGetProperty("cpuLimit", out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.GetDouble() is var cores and >= 0.01 ? cores
        : throw new FormatException("image metadata \"cpuLimit\" must be a number of cores of at least 0.01");
}

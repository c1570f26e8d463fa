using System.Text.Json.Serialization;

namespace Runtara.Bench.Commands;

/// <summary>Input of the benchmark workflows: how many steps and how large each step's result is.</summary>
internal sealed record BenchInput(int Steps, int ResultBytes);

[JsonSerializable(typeof(BenchInput))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
internal sealed partial class BenchJson : JsonSerializerContext;

internal static class WorkflowBench
{
    /// <summary>A 1 KiB (by default) step result: ASCII text, so its JSON is the same size plus quotes.</summary>
    public static string Payload(int bytes) => new('r', bytes);

    public static string InstanceId(string workload, int index) => $"{workload}-{Guid.NewGuid():N}-{index}";
}

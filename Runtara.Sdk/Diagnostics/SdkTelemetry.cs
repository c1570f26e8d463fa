using System.Diagnostics;
using System.Diagnostics.Metrics;
using Runtara.Diagnostics;

namespace Runtara.Sdk.Diagnostics;

/// <summary>
/// The SDK's spans and metrics under the name <c>Runtara.Sdk</c>: a <c>workflow</c> span per run
/// and a <c>step</c> span per step (the RPCs a step makes are its children, since the RPC client
/// starts its client spans under <see cref="Activity.Current"/>); step counts, durations and retries.
/// </summary>
internal static class SdkTelemetry
{
    private static readonly string? Version = typeof(SdkTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(RuntaraTelemetry.Sdk, Version);

    private static readonly Meter Meter = new(RuntaraTelemetry.Sdk, Version);

    /// <summary>Steps finished, tagged <c>runtara.step.outcome</c> = executed | replayed | failed.</summary>
    public static readonly Counter<long> Steps = Meter.CreateCounter<long>(
        "runtara.sdk.steps", unit: "{step}", description: "Durable steps finished, by outcome.");

    /// <summary>Duration of steps including their checkpoint and retries.</summary>
    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>(
        "runtara.sdk.step.duration", unit: "s", description: "Duration of durable steps, including checkpointing and retries.");

    /// <summary>Retries of failed step attempts.</summary>
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "runtara.sdk.step.retries", unit: "{attempt}", description: "Step attempts retried after a failure.");

    /// <summary>Workflow runs finished, tagged <c>runtara.workflow.outcome</c>.</summary>
    public static readonly Counter<long> Runs = Meter.CreateCounter<long>(
        "runtara.sdk.workflow.runs", unit: "{run}", description: "Workflow runs finished, by outcome.");

    public static void RecordStep(string outcome, long startedTimestamp)
    {
        var tags = new TagList { { "runtara.step.outcome", outcome } };
        Steps.Add(1, tags);
        StepDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tags);
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Diagnostics;

namespace Runtara.Engine.Diagnostics;

/// <summary>
/// The core's ActivitySource and Meter (both named <see cref="RuntaraTelemetry.Core"/>): a span per
/// storage write (a child of the RPC server span), checkpoint, signal and storage-batch metrics.
/// </summary>
internal static class EngineTelemetry
{
    private static readonly string? Version = typeof(EngineTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(RuntaraTelemetry.Core, Version);

    public static readonly Meter Meter = new(RuntaraTelemetry.Core, Version);

    public static readonly Counter<long> CheckpointsSaved = Meter.CreateCounter<long>(
        "runtara.core.checkpoints.saved", unit: "{checkpoint}", description: "Checkpoints stored fresh (replays of an existing key are not counted).");

    public static readonly Counter<long> CheckpointBytes = Meter.CreateCounter<long>(
        "runtara.core.checkpoints.bytes", unit: "By", description: "State bytes of checkpoints stored fresh.");

    public static readonly Counter<long> SignalsDelivered = Meter.CreateCounter<long>(
        "runtara.core.signals.delivered", unit: "{signal}", description: "Signals handed to instances (pending signals are handed out until acknowledged).");

    public static readonly Counter<long> StatusChanges = Meter.CreateCounter<long>(
        "runtara.core.instances.transitions", unit: "{transition}", description: "Instance status changes, tagged with the new status.");

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "runtara.core.storage.batch.size", unit: "{operation}", description: "Write operations committed together in one transaction.");

    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "runtara.core.storage.commit.duration", unit: "s", description: "Time to run and durably commit one write batch.");

    public static readonly Counter<long> PurgedInstances = Meter.CreateCounter<long>(
        "runtara.core.retention.purged_instances", unit: "{instance}", description: "Finished instances deleted with all their data (retention and DeleteInstance).");

    private static Func<IReadOnlyDictionary<InstanceStatus, long>>? _statusSnapshot;

    static EngineTelemetry()
    {
        Meter.CreateObservableGauge("runtara.core.instances", ObserveInstances, unit: "{instance}", description: "Instances by status (refreshed periodically).");
    }

    /// <summary>Where the instances-by-status gauge reads its latest snapshot.</summary>
    public static void SetStatusSnapshotSource(Func<IReadOnlyDictionary<InstanceStatus, long>> source) => _statusSnapshot = source;

    public static void RecordStatusChange(InstanceStatus to) =>
        StatusChanges.Add(1, new KeyValuePair<string, object?>("runtara.instance.status", to.ToStorageName()));

    public static void RecordSignalDelivered(SignalKind kind) =>
        SignalsDelivered.Add(1, new KeyValuePair<string, object?>("runtara.signal.type", kind.ToStorageName()));

    public static void RecordCustomSignalDelivered() =>
        SignalsDelivered.Add(1, new KeyValuePair<string, object?>("runtara.signal.type", "custom"));

    private static IEnumerable<Measurement<long>> ObserveInstances()
    {
        var snapshot = _statusSnapshot?.Invoke();
        if (snapshot is null)
        {
            yield break;
        }

        foreach (var status in Enum.GetValues<InstanceStatus>())
        {
            if (status == InstanceStatus.Unknown)
            {
                continue; // a wire value only: never stored, so never counted
            }

            yield return new Measurement<long>(snapshot.GetValueOrDefault(status), new KeyValuePair<string, object?>("runtara.instance.status", status.ToStorageName()));
        }
    }
}

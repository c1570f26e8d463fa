using System.Diagnostics.Metrics;
using Runtara.Engine.Diagnostics;

namespace Runtara.Engine.Tests.Diagnostics;

/// <summary>The instances-by-status gauge reports every stored status by its stored name.</summary>
public sealed class InstanceGaugeTests
{
    [Fact]
    public void The_gauge_reports_each_stored_status_and_never_the_wire_only_unknown()
    {
        EngineTelemetry.SetStatusSnapshotSource(() => new Dictionary<InstanceStatus, long> { [InstanceStatus.Running] = 3, [InstanceStatus.Failed] = 1 });
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == EngineTelemetry.Meter && instrument.Name == "runtara.core.instances")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => seen[(string)tags[0].Value!] = value);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Equal(["pending", "running", "suspended", "completed", "failed", "cancelled"], seen.Keys);
        Assert.Equal(3, seen["running"]);
        Assert.Equal(1, seen["failed"]);
        Assert.Equal(0, seen["pending"]);
    }
}

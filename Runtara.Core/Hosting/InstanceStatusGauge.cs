using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Core.Diagnostics;
using Runtara.Diagnostics;
using Runtara.Engine;

using Runtara.Engine.Instances;
using Runtara.Engine.Storage;

namespace Runtara.Core.Hosting;

/// <summary>Refreshes the instances-by-status gauge in the background, so scraping metrics never queries the database.</summary>
internal sealed class InstanceStatusGauge(ICoreStore store, ILogger<InstanceStatusGauge> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
    private volatile IReadOnlyDictionary<InstanceStatus, long> _snapshot = new Dictionary<InstanceStatus, long>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Runtara.Engine.Diagnostics.EngineTelemetry.SetStatusSnapshotSource(() => _snapshot);

        // A gauge refresh is housekeeping: it never joins or starts a trace.
        using var background = BackgroundWork.Begin();
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                _snapshot = await store.CountInstancesByStatusAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (CoreException ex)
            {
                Log.StatusSnapshotFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

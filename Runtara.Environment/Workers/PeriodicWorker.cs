using Microsoft.Extensions.Hosting;
using Runtara.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Runtara.Environment.Workers;

/// <summary>A background worker that runs one cycle per interval (first one interval after start); a failed cycle is logged, never fatal.</summary>
internal abstract class PeriodicWorker(TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time { get; } = time;

    protected ILogger Logger { get; } = logger;

    protected abstract TimeSpan Interval { get; }

    protected abstract string Name { get; }

    /// <summary>One pass of the worker.</summary>
    public abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Housekeeping polls make no root traces when idle; work a cycle finds starts its own trace.
        using var background = BackgroundWork.Begin();
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    Log.WorkerFailed(Logger, Name, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}

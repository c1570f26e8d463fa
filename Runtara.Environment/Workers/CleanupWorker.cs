using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Workers;

/// <summary>
/// Removes run directories (logs, output, workspace) of finished instances older than the retention
/// (SPEC §14.10), and abandoned image uploads. Active or suspended runs are never touched, and database
/// rows are kept. Run directories are local: one of a run another environment took over holds this
/// environment's part of its logs, and is left alone (whoever owns the run) until the run is finished.
/// </summary>
internal sealed class CleanupWorker(IEnvironmentStore store, IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<CleanupWorker> logger)
    : PeriodicWorker(time, logger)
{
    private readonly EnvironmentOptions _options = options.Value;

    protected override TimeSpan Interval => _options.CleanupInterval;

    protected override string Name => "Cleanup worker";

    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var data = _options.ResolveDataDirectory();
        var cutoff = Time.GetUtcNow().UtcDateTime - _options.RunRetention;
        var removed = 0;
        var runs = Path.Combine(data, "runs");
        if (Directory.Exists(runs))
        {
            foreach (var tenant in Directory.EnumerateDirectories(runs))
            {
                if (!Instances.Identifiers.IsValid(Path.GetFileName(tenant)))
                {
                    // No tenant's: runs/.warm and runs/.warm-processes hold the slots of waiting warm instances, however old.
                    continue;
                }

                foreach (var instance in Directory.EnumerateDirectories(tenant))
                {
                    if (Directory.GetLastWriteTimeUtc(instance) >= cutoff)
                    {
                        continue;
                    }

                    var run = await store.GetRunAsync(Path.GetFileName(instance), cancellationToken).ConfigureAwait(false);
                    if (run is { Status: RunStatus.Pending or RunStatus.Running or RunStatus.Suspended })
                    {
                        continue;
                    }

                    if (TryDelete(instance))
                    {
                        removed++;
                    }
                }
            }
        }

        var uploads = Path.Combine(data, "images", "uploads");
        if (Directory.Exists(uploads))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(uploads))
            {
                if (File.GetLastWriteTimeUtc(entry) < Time.GetUtcNow().UtcDateTime.AddDays(-1))
                {
                    TryDelete(entry);
                }
            }
        }

        if (removed > 0)
        {
            Log.CleanupRemoved(Logger, removed, _options.RunRetention);
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Backends.Core;

namespace Runtara.Sdk.Hosting;

/// <summary>
/// A warm process (docs/environment.md, "Warm processes") is started before its run is known and waits
/// for it on its launch FIFO. While it waits, this does in the background what the run would otherwise
/// pay after the hand-off: loading and compiling the connection and protocol code, and one connection to
/// the core from the image-wide settings (opened and closed, nothing sent). Best effort: whatever fails
/// here, the run connects as always.
/// </summary>
internal static class WarmStart
{
    private static int _started;

    /// <summary>Starts the warm-up when this process waits for its launch file, once; returns at once.</summary>
    public static void StartIfAwaitingRun()
    {
        if (System.Environment.GetEnvironmentVariable(LaunchVariables.LaunchFile) is not { Length: > 0 } path
            || !LaunchFile.IsAwaited(path)
            || Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        _ = Task.Run(WarmUpAsync);
    }

    private static async Task WarmUpAsync()
    {
        try
        {
            // The image-wide variables only: the launch file's would wait for the run.
            var options = RuntaraInstanceOptions.FromEnvironment(name => name == LaunchVariables.LaunchFile ? null : System.Environment.GetEnvironmentVariable(name));
            using var timeout = new CancellationTokenSource(options.ConnectTimeout);
            var backend = new CoreBackend(options, NullLogger.Instance);
            await using (backend.ConfigureAwait(false))
            {
                await backend.WarmUpAsync(timeout.Token).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // A warm-up must never end the process; the run reports its own failures.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}

using Runtara.Sdk.Embedded;
using Runtara.Sdk.Embedded.Backends;

namespace Runtara.Sdk;

/// <summary>Lets <see cref="RuntaraInstanceOptions.EmbeddedDatabasePath"/> (<c>RUNTARA_EMBEDDED_DB</c>) open an <see cref="EmbeddedEngine"/>.</summary>
public static class EmbeddedOptionsExtensions
{
    /// <summary>
    /// Runs instances on an in-process <see cref="EmbeddedEngine"/> whenever
    /// <see cref="RuntaraInstanceOptions.EmbeddedDatabasePath"/> is set: the connection opens the engine
    /// on that file and closes it when disposed. Without this call (and this package), setting the path
    /// is a configuration error, because the SDK itself holds no server code.
    /// </summary>
    public static RuntaraInstanceOptions UseEmbeddedEngine(this RuntaraInstanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EmbeddedBackendFactory = static (options, loggerFactory) =>
        {
            var path = Path.GetFullPath(options.EmbeddedDatabasePath!);
            var opening = EmbeddedEngine.OpenAsync(
                path,
                engineOptions => engineOptions.InProcessSleepThreshold = options.InProcessSleepThreshold,
                options.TimeProvider,
                loggerFactory);
            return (new EmbeddedBackend(opening, ownsEngine: true), $"embedded engine {path}");
        };
        return options;
    }
}

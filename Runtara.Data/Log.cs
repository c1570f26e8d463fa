using Microsoft.Extensions.Logging;

namespace Runtara.Data;

/// <summary>
/// Source-generated log messages of the migration runner, written through the owning store's logger.
/// 2100 keeps the id and text the core's runners used; 2190–2199 are the runner's own.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(2100, LogLevel.Information, "Applied {Backend} migration {Version} ({Name})", EventName = "MigrationApplied")]
    public static partial void MigrationApplied(ILogger logger, string backend, int version, string name);

    [LoggerMessage(2190, LogLevel.Information, "Recorded the checksums of {Count} migrations applied before {Table} kept checksums", EventName = "MigrationChecksumsRecorded")]
    public static partial void MigrationChecksumsRecorded(ILogger logger, int count, string table);

    [LoggerMessage(2191, LogLevel.Warning, "{Table} records migration {Version}, which this build does not know: the database was migrated by a newer version", EventName = "UnknownMigrationApplied")]
    public static partial void UnknownMigrationApplied(ILogger logger, string table, int version);
}

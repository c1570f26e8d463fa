namespace Runtara.Data;

/// <summary>
/// A migration recorded as applied has a different checksum than the same version in this build:
/// its SQL was edited after it ran, so the schema the code expects may not be the one the database
/// has. The service refuses to start rather than run on it.
/// </summary>
public sealed class MigrationChecksumMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception for one edited migration.</summary>
    /// <param name="historyTable">The history table the applied migration is recorded in.</param>
    /// <param name="version">The migration's version number.</param>
    /// <param name="recordedChecksum">The checksum stored when the migration was applied.</param>
    /// <param name="expectedChecksum">The checksum of the same migration in this build.</param>
    public MigrationChecksumMismatchException(string historyTable, int version, string recordedChecksum, string expectedChecksum)
        : base($"Migration {version} recorded in '{historyTable}' has checksum {recordedChecksum}, but migration {version} of this build has {expectedChecksum}: "
            + "an applied migration was edited. Restore its original SQL and add the change as a new migration.")
    {
        HistoryTable = historyTable;
        Version = version;
        RecordedChecksum = recordedChecksum;
        ExpectedChecksum = expectedChecksum;
    }

    /// <summary>The history table the applied migration is recorded in.</summary>
    public string HistoryTable { get; }

    /// <summary>The version whose SQL differs.</summary>
    public int Version { get; }

    /// <summary>The checksum stored when the migration was applied.</summary>
    public string RecordedChecksum { get; }

    /// <summary>The checksum of this build's SQL for that version.</summary>
    public string ExpectedChecksum { get; }
}

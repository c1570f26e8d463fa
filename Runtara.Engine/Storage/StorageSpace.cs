using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using Runtara.Engine.Diagnostics;

namespace Runtara.Engine.Storage;

/// <summary>
/// Disk space as storage sees it: which failures mean "the disk is full", and whether the writer's
/// last outcome was one (for /health). Only failures and the first success after them touch the
/// state, so a successful commit pays one field read.
/// </summary>
internal sealed class StorageSpace(ILogger logger)
{
    /// <summary>SQLITE_FULL: an insert or a write of the journal, WAL or database file found no room.</summary>
    internal const int SqliteFull = 13;

    /// <summary>SQLITE_IOERR, e.g. of an fsync or a shared-memory extension; ENOSPC is one possible cause.</summary>
    internal const int SqliteIoError = 10;

    /// <summary>Below this many free bytes an I/O error of the database is taken for a full disk.</summary>
    internal const long NearlyFullBytes = 1L << 20;

    /// <summary>ENOSPC on Linux and macOS; .NET reports it as an <see cref="IOException"/>'s HResult.</summary>
    internal const int ENOSPC = 28;

    // Windows ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL as HRESULTs.
    private const int HandleDiskFull = unchecked((int)0x80070027);
    private const int DiskFull = unchecked((int)0x80070070);

    private const string PostgresDiskFull = "53100";

    private long _sinceMs; // 0 = the last write outcome was not "disk full"

    public DateTimeOffset? Since => Volatile.Read(ref _sinceMs) is var ms and not 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>True when <paramref name="exception"/> or one of its causes says the disk is full.</summary>
    public static bool IsOutOfSpace(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            switch (exception)
            {
                case SqliteException { SqliteErrorCode: SqliteFull }:
                case PostgresException { SqlState: PostgresDiskFull }:
                case IOException { HResult: ENOSPC or HandleDiskFull or DiskFull }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>Free bytes for this process on the file system holding <paramref name="path"/> (a file or directory).</summary>
    public static long FreeBytes(string path) =>
        new DriveInfo(Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!).AvailableFreeSpace;

    /// <summary>A write failed for lack of space: turns it into the caller's error, and logs once per episode.</summary>
    public StorageFullException OnFull(string operation, Exception exception)
    {
        if (Volatile.Read(ref _sinceMs) == 0)
        {
            Volatile.Write(ref _sinceMs, Math.Max(1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            Log.StorageFull(logger, operation, exception);
        }

        return new StorageFullException(operation, exception);
    }

    /// <summary>Called after each commit (writer threads): ends an out-of-space episode.</summary>
    public void OnCommitted()
    {
        // A plain read on the hot path; the rare episode end pays the rest.
        if (_sinceMs != 0)
        {
            Recovered();
        }
    }

    private void Recovered()
    {
        var since = Interlocked.Exchange(ref _sinceMs, 0);
        if (since != 0)
        {
            Log.StorageSpaceRecovered(logger, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - since) / 1000.0);
        }
    }
}

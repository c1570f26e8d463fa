using Microsoft.Data.Sqlite;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>
/// Gives the WAL file its working size up front, as written zeros. A commit whose frames extend the
/// file makes its fsync also journal the new size and blocks (about twice the time of one that
/// overwrites written blocks on ext4), and a fresh WAL grows with every commit until the writer's
/// checkpoint first restarts it — the whole first ~16 MiB of commits. SQLite reads frames only up
/// to the first one whose salt and checksum do not match, so zeros past the end are never taken
/// for frames; once it restarts the log it overwrites them from the start.
/// </summary>
internal static class WalPreallocation
{
    /// <summary>
    /// Free space the preallocation never takes: room for the database file to receive the WAL's
    /// pages at checkpoints (up to the WAL's working size) and to grow with new data. Zeros taken
    /// from a nearly full disk would leave the database no room to grow, so every checkpoint would
    /// fail and every commit pile up in the WAL until writes stop.
    /// </summary>
    internal const long FreeSpaceReserve = 64L << 20;

    private const int WalHeaderBytes = 32;
    private const int FrameHeaderBytes = 24;
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Extends the WAL of <paramref name="connection"/>'s database with zeros to hold
    /// <paramref name="frames"/> frames, if it is smaller, as far as <paramref name="reserveBytes"/> stay
    /// free. It runs inside <c>BEGIN IMMEDIATE</c>: while it holds the write lock no connection of any
    /// process appends to the WAL, and only bytes past the file's end are written. A failed write
    /// (e.g. the disk filled meanwhile) truncates the file back to its size before.
    /// </summary>
    public static async Task<Result> EnsureAsync(SqliteConnection connection, string databasePath, int frames, CancellationToken cancellationToken, long reserveBytes = FreeSpaceReserve)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_size";
        var pageSize = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        var target = WalHeaderBytes + (frames * (pageSize + FrameHeaderBytes));

        command.CommandText = "BEGIN IMMEDIATE";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ExtendAsync(databasePath + "-wal", target, reserveBytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            command.CommandText = "ROLLBACK";
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Bytes to append to a WAL of <paramref name="current"/> bytes towards <paramref name="target"/>
    /// with <paramref name="freeBytes"/> free: as many as leave <paramref name="reserveBytes"/> free, at
    /// most the shortfall, never negative.
    /// </summary>
    internal static long BytesToAdd(long current, long target, long freeBytes, long reserveBytes) =>
        Math.Max(0, Math.Min(target - current, freeBytes - reserveBytes));

    private static async Task<Result> ExtendAsync(string walPath, long target, long reserveBytes, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            // SQLite opened the WAL with the connection's first read; without one there is nothing to size.
            file = new FileStream(walPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException)
        {
            return default;
        }

        await using (file.ConfigureAwait(false))
        {
            var start = file.Length;
            if (start >= target)
            {
                return default;
            }

            var free = StorageSpace.FreeBytes(walPath);
            var end = start + BytesToAdd(start, target, free, reserveBytes);
            if (end == start)
            {
                return new Result(0, free, Limited: true);
            }

            try
            {
                var zeros = new byte[ChunkBytes];
                for (var offset = start; offset < end; offset += ChunkBytes)
                {
                    var count = (int)Math.Min(ChunkBytes, end - offset);
                    await RandomAccess.WriteAsync(file.SafeFileHandle, zeros.AsMemory(0, count), offset, cancellationToken).ConfigureAwait(false);
                }

                // The blocks and the new size on disk now, so later commits' fsyncs find nothing else to write.
                file.Flush(flushToDisk: true);
            }
            catch
            {
                // Only a speed-up: give the space back rather than leave the disk fuller than it was.
                file.SetLength(start);
                throw;
            }

            return new Result(end - start, free, Limited: end < target);
        }
    }

    /// <summary>What the preallocation did: bytes added, the free bytes it found, and whether the reserve cut it short.</summary>
    internal readonly record struct Result(long Added, long FreeBytes, bool Limited);
}

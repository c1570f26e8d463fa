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
    private const int WalHeaderBytes = 32;
    private const int FrameHeaderBytes = 24;
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Extends the WAL of <paramref name="connection"/>'s database with zeros to hold
    /// <paramref name="frames"/> frames, if it is smaller. It runs inside <c>BEGIN IMMEDIATE</c>: while it
    /// holds the write lock no connection of any process appends to the WAL, and only bytes past
    /// the file's end are written.
    /// </summary>
    /// <returns>The bytes added (0 when the file was large enough, or there is no WAL file).</returns>
    public static async Task<long> EnsureAsync(SqliteConnection connection, string databasePath, int frames, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_size";
        var pageSize = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        var target = WalHeaderBytes + (frames * (pageSize + FrameHeaderBytes));

        command.CommandText = "BEGIN IMMEDIATE";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ExtendAsync(databasePath + "-wal", target, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            command.CommandText = "ROLLBACK";
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<long> ExtendAsync(string walPath, long target, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            // SQLite opened the WAL with the connection's first read; without one there is nothing to size.
            file = new FileStream(walPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException)
        {
            return 0;
        }

        await using (file.ConfigureAwait(false))
        {
            var start = file.Length;
            if (start >= target)
            {
                return 0;
            }

            var zeros = new byte[ChunkBytes];
            for (var offset = start; offset < target; offset += ChunkBytes)
            {
                var count = (int)Math.Min(ChunkBytes, target - offset);
                await RandomAccess.WriteAsync(file.SafeFileHandle, zeros.AsMemory(0, count), offset, cancellationToken).ConfigureAwait(false);
            }

            // The blocks and the new size on disk now, so later commits' fsyncs find nothing else to write.
            file.Flush(flushToDisk: true);
            return target - start;
        }
    }
}

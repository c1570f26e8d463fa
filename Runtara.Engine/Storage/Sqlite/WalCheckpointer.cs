using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Runtara.Engine.Diagnostics;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>
/// Copies committed WAL frames into the database file on a thread of its own (a PASSIVE checkpoint
/// on its own connection every <see cref="Interval"/> while commits happen), so the group-commit
/// writer — the one thread every write waits for — does not do that work between batches. The
/// writer keeps a (much higher) auto-checkpoint threshold as a backstop: its checkpoint then finds
/// most frames already copied, finishes the rest, and lets the WAL restart from its beginning.
/// Durability is unchanged: commits are fsynced by the writer as before, and a checkpoint (with
/// <c>synchronous=FULL</c> on this connection too) syncs the WAL before it copies and the database
/// file after.
/// A checkpoint that runs out of disk space, or a commit that does, stops the copies competing with
/// commits for space: they try again only once the whole WAL would fit (checked every <see cref="OutOfSpaceInterval"/>), so space freed
/// on a full disk first lets commits append to the WAL instead of being taken by a partial copy that
/// cannot finish.
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    /// <summary>How often committed frames are copied while writes happen.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    /// <summary>How often a checkpoint that ran out of space looks whether the WAL would fit now.</summary>
    public static readonly TimeSpan OutOfSpaceInterval = TimeSpan.FromSeconds(1);

    private readonly SqliteConnection _connection;
    private readonly string _walPath;
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _stop = new(false, spinCount: 0);
    private readonly Thread _thread;
    private long _commits;
    private volatile bool _outOfSpace;
    private int _disposed;

    public WalCheckpointer(SqliteConnection connection, string databasePath, ILogger logger)
    {
        _connection = connection;
        _walPath = databasePath + "-wal";
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "runtara-sqlite-checkpointer" };
        _thread.Start();
    }

    /// <summary>True while the last checkpoint ran out of space and the WAL would not fit yet.</summary>
    public bool OutOfSpace => _outOfSpace;

    /// <summary>
    /// Called by the writer when a commit ran out of disk space: the checkpointer waits as if its own
    /// copy had, whether or not it tried since. Otherwise the first commit after space is freed would
    /// start a copy that takes the freed space (the database file grows by up to the WAL's size) and
    /// the commits after it fail again.
    /// </summary>
    public void OnWriterOutOfSpace() => _outOfSpace = true;

    /// <summary>Called by the writer after each commit (its thread only).</summary>
    public void OnCommitted() => Volatile.Write(ref _commits, _commits + 1);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Set();
        _thread.Join();
        _stop.Dispose();
        _connection.Dispose();
    }

    private void Run()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        long copied = 0;
        while (!_stop.Wait(_outOfSpace ? OutOfSpaceInterval : Interval))
        {
            var commits = Volatile.Read(ref _commits);
            if (_outOfSpace)
            {
                // Frames not copied yet are at most the WAL's size: the database file grows by no more.
                if (!WalWouldFit())
                {
                    continue;
                }

                _outOfSpace = false;
            }
            else if (commits == copied)
            {
                continue;
            }

            copied = commits;
            try
            {
                // PASSIVE never blocks the writer or readers; frames it cannot copy yet are left for the next round.
                command.ExecuteNonQuery();
            }
            catch (SqliteException ex) when (StorageSpace.IsOutOfSpace(ex))
            {
                _outOfSpace = true;
                Log.WalCheckpointOutOfSpace(_logger, WalBytes());
            }
            catch (SqliteException ex)
            {
                Log.WalCheckpointFailed(_logger, ex);
            }
        }
    }

    private bool WalWouldFit()
    {
        try
        {
            return StorageSpace.FreeBytes(_walPath) >= WalBytes();
        }
        catch (IOException)
        {
            return true; // cannot tell: let the checkpoint try
        }
    }

    private long WalBytes()
    {
        var wal = new FileInfo(_walPath);
        return wal.Exists ? wal.Length : 0;
    }
}

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
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    /// <summary>How often committed frames are copied while writes happen.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    private readonly SqliteConnection _connection;
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _stop = new(false, spinCount: 0);
    private readonly Thread _thread;
    private long _commits;
    private int _disposed;

    public WalCheckpointer(SqliteConnection connection, ILogger logger)
    {
        _connection = connection;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "runtara-sqlite-checkpointer" };
        _thread.Start();
    }

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
        while (!_stop.Wait(Interval))
        {
            var commits = Volatile.Read(ref _commits);
            if (commits == copied)
            {
                continue;
            }

            copied = commits;
            try
            {
                // PASSIVE never blocks the writer or readers; frames it cannot copy yet are left for the next round.
                command.ExecuteNonQuery();
            }
            catch (SqliteException ex)
            {
                Log.WalCheckpointFailed(_logger, ex);
            }
        }
    }
}

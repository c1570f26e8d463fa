using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Runtara.Engine.Diagnostics;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>
/// SQLite storage in one file: WAL journal with <c>synchronous=FULL</c>, so each group-commit
/// transaction's COMMIT fsyncs the WAL before it returns and callers are acknowledged only after it.
/// One long-lived writer connection (the group-commit loop; SQLite has one write lock per file) and
/// pooled read connections, which WAL lets run alongside the writer.
/// </summary>
internal sealed class SqliteCoreStore : SqlCoreStore
{
    /// <summary>
    /// The writer's own auto-checkpoint threshold in pages (SQLite's default is 1,000). The
    /// <see cref="WalCheckpointer"/> copies frames in the background, so this is a backstop that bounds
    /// the WAL (~16 MiB at 4 KiB pages) and lets it restart: when it fires, most frames are already
    /// copied. The WAL file keeps its size and is overwritten from its start after each restart.
    /// </summary>
    internal const int WriterAutoCheckpointPages = 4_000;

    private readonly string _connectionString;
    private WalCheckpointer? _checkpointer;
    private StatementTransaction? _transaction; // the writer connection's; used by the writer thread only
    private SqliteConnection? _autoCheckpointPaused; // the writer connection whose own checkpoint is off; writer thread only

    public SqliteCoreStore(string databasePath, StoreSettings settings, ILogger<SqliteCoreStore> logger)
        : base(settings with { Writers = 1 }, logger) // one write lock per file, so one writer
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Backend => "sqlite";

    public string DatabasePath { get; }

    internal override string LockRowClause => string.Empty;

    internal override string LockInstanceRowClause => string.Empty;

    // One writer per file: there are no other replicas to skip.
    internal override string ClaimClause => string.Empty;

    internal override string ClaimChildrenClause => string.Empty;

    protected override string PayloadContainsExpression(string parameter) => $"instr(lower(CAST(payload AS TEXT)), {parameter}) > 0";

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        Log.StorageSelected(Logger, Backend, DatabasePath);
        await using var connection = (SqliteConnection)await OpenConnectionAsync(forWriter: true, cancellationToken).ConfigureAwait(false);
        await SqliteMigrations.Runner(Logger).RunAsync(connection, cancellationToken).ConfigureAwait(false);
        Runtara.Protocol.Security.SecretFile.RestrictDatabase(DatabasePath);

        // Before any other connection opens (the writer's and the checkpointer's come next).
        await PreallocateWalAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives the WAL the size the writer's checkpoint lets it reach, so commits overwrite it in place
    /// (see <see cref="WalPreallocation"/>). Only a speed-up: a disk too full for it must not keep the
    /// core from starting.
    /// </summary>
    private async Task PreallocateWalAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var result = await WalPreallocation.EnsureAsync(connection, DatabasePath, WriterAutoCheckpointPages, cancellationToken).ConfigureAwait(false);
            if (result.Added > 0)
            {
                Log.WalPreallocated(Logger, result.Added);
            }

            if (result.Limited)
            {
                Log.WalPreallocationSkipped(Logger, result.FreeBytes, WalPreallocation.FreeSpaceReserve);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.WalPreallocationFailed(Logger, ex);
        }
    }

    protected override async Task OpenWriterAsync(CancellationToken cancellationToken)
    {
        if (NativeHeapTrimming.Apply())
        {
            Log.NativeHeapTrimThresholdRaised(Logger, NativeHeapTrimming.ThresholdBytes);
        }

        await base.OpenWriterAsync(cancellationToken).ConfigureAwait(false);
        var connection = (SqliteConnection)await OpenConnectionAsync(forWriter: true, cancellationToken).ConfigureAwait(false);
        _checkpointer = new WalCheckpointer(connection, DatabasePath, Logger);
    }

    protected override void OnBatchCommitted() => _checkpointer?.OnCommitted();

    // Space freed on the full disk goes to commits first, not to a copy into the database file.
    protected override void OnWriteOutOfSpace() => _checkpointer?.OnWriterOutOfSpace();

    // SQLite reports ENOSPC of a write as SQLITE_FULL, but as a plain I/O error where it fsyncs,
    // truncates or grows its shared memory, and its errno is not exposed here: such an error while the
    // disk has (next to) nothing free is taken for a full disk. Only failures pay the statvfs.
    protected override bool IsOutOfSpace(Exception exception) =>
        base.IsOutOfSpace(exception)
        || (exception is SqliteException { SqliteErrorCode: StorageSpace.SqliteIoError } && StorageSpace.FreeBytes(DatabasePath) < StorageSpace.NearlyFullBytes);

    protected override async ValueTask CloseAsync()
    {
        // Stopped first: the writer has drained. Nothing checkpoints at close (see OpenConnectionAsync).
        _checkpointer?.Dispose();
        _checkpointer = null;
        _transaction?.Dispose();
        _transaction = null;
        await base.CloseAsync().ConfigureAwait(false);
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(bool forWriter, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // journal_mode is stored in the file; synchronous and foreign_keys are per connection.
            // synchronous=FULL: COMMIT fsyncs the WAL before it returns, so a committed batch is
            // durable when its callers are acknowledged (NORMAL could lose the last commits on power loss).
            // The writer keeps SQLite's default page cache (2 MB): every transaction's end walks the
            // cache's hash table (pcache1TruncateUnsafe), which at 32 MB took ~4 % of all w2 CPU and
            // at 8 MB ~1 % (docs/performance.md, issue 20); the OS page cache holds the rest of the file.
            var pragmas = forWriter
                ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -2000; "
                  + $"PRAGMA wal_autocheckpoint = {WriterAutoCheckpointPages.ToString(CultureInfo.InvariantCulture)};"
                : "PRAGMA busy_timeout = 5000;";
            await ExecuteAsync(connection, pragmas, cancellationToken).ConfigureAwait(false);

            // No checkpoint when the last connection closes (at process exit Microsoft.Data.Sqlite closes
            // its pools): on a nearly full disk that copy grew core.db by megabytes at every stop and
            // could not finish. Frames stay in the WAL, which the next start reads back; the background
            // checkpointer keeps that backlog to the last few milliseconds of commits.
            SQLitePCL.raw.sqlite3_db_config(connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override IHotPathStatements CreateHotPath(DbConnection connection) => new SqliteHotPathStatements((SqliteConnection)connection, Statements);

    protected override ValueTask<WriterTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var sqlite = (SqliteConnection)connection;
        if (_transaction?.Connection != sqlite)
        {
            // A new writer connection (the first, or one replaced after a failure) gets its own statements.
            _transaction?.Dispose();
            _transaction = new StatementTransaction(sqlite);
        }

        // While the background checkpoint waits for space, the writer's own (the backstop, run after
        // every commit once the WAL holds 4,000 pages) would take freed space for a copy that cannot
        // finish; commits get it instead. One field read per batch otherwise.
        var pause = _checkpointer is { OutOfSpace: true };
        if (pause != (_autoCheckpointPaused == sqlite))
        {
            PauseAutoCheckpoint(sqlite, pause);
        }

        return ValueTask.FromResult<WriterTransaction>(_transaction.Begin());
    }

    private void PauseAutoCheckpoint(SqliteConnection writer, bool pause)
    {
        using var command = writer.CreateCommand();
        command.CommandText = pause ? "PRAGMA wal_autocheckpoint = 0" : $"PRAGMA wal_autocheckpoint = {WriterAutoCheckpointPages.ToString(CultureInfo.InvariantCulture)}";
        command.ExecuteNonQuery();
        _autoCheckpointPaused = pause ? writer : null;
    }

    /// <summary>The journal mode and synchronous setting the writer uses (2 = FULL); tests assert them.</summary>
    internal async Task<(string JournalMode, long Synchronous)> ReadDurabilitySettingsAsync(CancellationToken cancellationToken)
    {
        await using var connection = (SqliteConnection)await OpenConnectionAsync(forWriter: true, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        var journal = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) ?? string.Empty;
        command.CommandText = "PRAGMA synchronous";
        var synchronous = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        return (journal, synchronous);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Constant SQL.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The writer's transactions as prepared BEGIN IMMEDIATE / COMMIT / ROLLBACK statements of its own
    /// connection, reused from batch to batch. <c>SqliteConnection.BeginTransaction</c> creates, prepares
    /// and finalizes a command for BEGIN and again for COMMIT and registers a rollback hook, for every
    /// transaction: managed and SQL-compiling work per commit on the one thread every write waits for
    /// (per step of a sequential workflow). The writer's commands then carry no ADO.NET transaction,
    /// as the connection has none.
    /// </summary>
    private sealed class StatementTransaction : WriterTransaction, IDisposable
    {
        private readonly SqliteCommand _begin;
        private readonly SqliteCommand _commit;
        private readonly SqliteCommand _rollback;

        public StatementTransaction(SqliteConnection connection)
        {
            Connection = connection;

            // IMMEDIATE: take the write lock up front rather than upgrading mid-batch.
            _begin = Statement(connection, "BEGIN IMMEDIATE");
            _commit = Statement(connection, "COMMIT");
            _rollback = Statement(connection, "ROLLBACK");
        }

        public SqliteConnection Connection { get; }

        public override DbTransaction? CommandTransaction => null;

        public StatementTransaction Begin()
        {
            _begin.ExecuteNonQuery();
            return this;
        }

        /// <summary>Durable when it returns: with WAL and synchronous=FULL, COMMIT fsyncs the WAL.</summary>
        public override ValueTask CommitAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _commit.ExecuteNonQuery();
            return ValueTask.CompletedTask;
        }

        public override ValueTask RollbackAsync()
        {
            // SQLite rolls a transaction back by itself after some failures (e.g. a full disk).
            if (SQLitePCL.raw.sqlite3_get_autocommit(Connection.Handle) == 0)
            {
                _rollback.ExecuteNonQuery();
            }

            return ValueTask.CompletedTask;
        }

        // Ended by commit or rollback; the statements serve the writer's next transaction.
        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public void Dispose()
        {
            _begin.Dispose();
            _commit.Dispose();
            _rollback.Dispose();
        }

        private static SqliteCommand Statement(SqliteConnection connection, string sql)
        {
            var command = connection.CreateCommand();
#pragma warning disable CA2100 // Constant SQL.
            command.CommandText = sql;
#pragma warning restore CA2100
            return command;
        }
    }
}

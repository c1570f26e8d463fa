using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Runtara.Core.Diagnostics;

namespace Runtara.Core.Storage.Sqlite;

/// <summary>
/// SQLite storage in one file: WAL journal, and no caller is acknowledged before the WAL holding
/// its commit is fsync'd (see <see cref="CommitIsDurable"/>). One long-lived writer connection
/// (the group-commit loop) and pooled read connections, which WAL lets run alongside the writer.
/// </summary>
internal sealed class SqliteCoreStore : SqlCoreStore
{
    private readonly string _connectionString;
    private readonly string _walPath;

    public SqliteCoreStore(string databasePath, StoreSettings settings, ILogger<SqliteCoreStore> logger)
        : base(settings, logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        _walPath = DatabasePath + "-wal";
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

    /// <summary>
    /// The writer commits with <c>synchronous=NORMAL</c> (the WAL is written, not yet fsync'd) and
    /// <see cref="SyncDurably"/> fsyncs the WAL on the syncer thread before anyone is acknowledged:
    /// the guarantee of <c>synchronous=FULL</c>, but the next batch runs during the disk wait and
    /// one fsync covers every batch committed meanwhile.
    /// </summary>
    protected override bool CommitIsDurable => false;

    protected override void SyncDurably()
    {
        // A fresh descriptor each time: fsync flushes the file, whichever descriptor wrote it, and a
        // WAL that SQLite deleted and re-created is never missed. SQLite holds no POSIX locks on
        // the -wal file, so opening and closing it here cannot drop SQLite's locks.
        try
        {
            using var wal = new FileStream(_walPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            wal.Flush(flushToDisk: true);
        }
        catch (FileNotFoundException)
        {
            // No WAL: SQLite checkpointed it into the database file and synced that itself.
        }
    }

    protected override async ValueTask BeginReadAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // Take the read snapshot first, then wait until every commit it may contain is durable.
        await ExecuteAsync((SqliteConnection)connection, "BEGIN; SELECT 1 FROM schema_migrations LIMIT 1;", cancellationToken).ConfigureAwait(false);
        await WaitUntilDurableAsync(CommittingSequence, cancellationToken).ConfigureAwait(false);
    }

    protected override async ValueTask EndReadAsync(DbConnection connection) =>
        await ExecuteAsync((SqliteConnection)connection, "COMMIT", CancellationToken.None).ConfigureAwait(false);

    protected override string LockRowClause => string.Empty;

    protected override string LockInstanceRowClause => string.Empty;

    // One writer per file: there are no other replicas to skip.
    protected override string ClaimClause => string.Empty;

    protected override string PayloadContainsExpression(string parameter) => $"instr(lower(CAST(payload AS TEXT)), {parameter}) > 0";

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        Log.StorageSelected(Logger, Backend, DatabasePath);
        await using var connection = (SqliteConnection)await OpenConnectionAsync(forWriter: true, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)", cancellationToken).ConfigureAwait(false);
        var applied = new HashSet<long>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT version FROM schema_migrations";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(reader.GetInt64(0));
            }
        }

        foreach (var migration in SqliteMigrations.All.Where(m => !applied.Contains(m.Version)).OrderBy(m => m.Version))
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = migration.Sql;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                command.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)";
                command.Parameters.AddWithValue("@v", migration.Version);
                command.Parameters.AddWithValue("@n", migration.Name);
                command.Parameters.AddWithValue("@t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            Log.MigrationApplied(Logger, Backend, migration.Version, migration.Name);
        }
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(bool forWriter, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // journal_mode is stored in the file; synchronous and foreign_keys are per connection.
            var pragmas = forWriter
                ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -32768;"
                : "PRAGMA busy_timeout = 5000;";
            await ExecuteAsync(connection, pragmas, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override ValueTask<DbTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // BEGIN IMMEDIATE: take the write lock up front rather than upgrading mid-batch.
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    /// <summary>The journal mode and synchronous setting the writer uses (1 = NORMAL, the store fsyncs itself); tests assert them.</summary>
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
}

using System.Buffers.Binary;
using System.Data;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;

namespace Runtara.Data;

/// <summary>
/// What differs between the databases when migrating: how a migration's transaction excludes other
/// runners, and how the history table is inspected. The runner itself is written once over ADO.NET,
/// so this library needs neither Microsoft.Data.Sqlite nor Npgsql.
/// </summary>
public abstract class MigrationDialect
{
    // Closed set: the runner relies on each dialect's locking guarantee.
    private protected MigrationDialect()
    {
    }

    /// <summary>SQLite: each migration in a <c>BEGIN IMMEDIATE</c> transaction (the file's write lock from its first statement).</summary>
    public static MigrationDialect Sqlite { get; } = new SqliteDialect();

    /// <summary>PostgreSQL: each migration in a transaction holding <c>pg_advisory_xact_lock</c> keyed by the history table's name.</summary>
    public static MigrationDialect PostgreSql { get; } = new PostgreSqlDialect();

    /// <summary>"sqlite" or "postgresql", as the stores name their backend in logs.</summary>
    public abstract string Name { get; }

    /// <summary>Column type of the applied time (Unix milliseconds).</summary>
    internal abstract string Int64Type { get; }

    /// <summary>
    /// Begins the transaction one migration (or the history check) runs in, already holding what keeps
    /// any other runner on the same database out until it ends.
    /// </summary>
    internal abstract Task<DbTransaction> BeginAsync(DbConnection connection, MigrationHistoryTable history, CancellationToken cancellationToken);

    /// <summary>A query whose scalar is non-zero when <paramref name="table"/> has <paramref name="column"/> (both plain identifiers).</summary>
    internal abstract string ColumnExistsSql(string table, string column);

    private sealed class SqliteDialect : MigrationDialect
    {
        public override string Name => "sqlite";

        internal override string Int64Type => "INTEGER";

        // Microsoft.Data.Sqlite starts a non-deferred transaction (any isolation level but
        // ReadUncommitted) with BEGIN IMMEDIATE: the write lock is taken up front, so a second
        // process waits (busy timeout) instead of reading the history and then failing to upgrade.
        internal override async Task<DbTransaction> BeginAsync(DbConnection connection, MigrationHistoryTable history, CancellationToken cancellationToken) =>
            await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);

        internal override string ColumnExistsSql(string table, string column) =>
            $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
    }

    private sealed class PostgreSqlDialect : MigrationDialect
    {
        public override string Name => "postgresql";

        internal override string Int64Type => "BIGINT";

        internal override async Task<DbTransaction> BeginAsync(DbConnection connection, MigrationHistoryTable history, CancellationToken cancellationToken)
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Held until commit or rollback: two processes starting against one database take
                // turns, and the second sees what the first recorded. Taken before the history table
                // is created, since concurrent CREATE TABLE IF NOT EXISTS can still collide.
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "SELECT pg_advisory_xact_lock(@key)";
                var key = command.CreateParameter();
                key.ParameterName = "key";
                key.DbType = DbType.Int64;
                key.Value = LockKey(history.Name);
                command.Parameters.Add(key);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return transaction;
            }
            catch
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        // to_regclass resolves the name through search_path, as the unqualified statements do.
        internal override string ColumnExistsSql(string table, string column) =>
            $"SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass('{table}') AND attname = '{column}' AND NOT attisdropped";
    }

    /// <summary>
    /// The advisory lock key of a history table: the first 8 bytes of the SHA-256 of its lower-cased
    /// name (PostgreSQL folds unquoted names), so stores with different tables in one database do not
    /// wait for each other.
    /// </summary>
    internal static long LockKey(string historyTable) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(historyTable.ToLowerInvariant())));
}

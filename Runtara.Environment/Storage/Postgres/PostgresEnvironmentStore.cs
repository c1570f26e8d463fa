using System.Data.Common;
using Npgsql;

namespace Runtara.Environment.Storage.Postgres;

/// <summary>
/// PostgreSQL store: the same tables and SQL as SQLite (times as BIGINT milliseconds, BYTEA for input);
/// migrations take an advisory lock so several environments can start against one database.
/// </summary>
public sealed class PostgresEnvironmentStore : SqlEnvironmentStore, IAsyncDisposable
{
    /// <summary>Advisory lock key of the environment's migrations ("rtenv").</summary>
    private const long MigrationLockKey = 0x7274656E76;

    private readonly NpgsqlDataSource _dataSource;

    public PostgresEnvironmentStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    protected override IReadOnlyList<Migration> Migrations { get; } = EnvironmentSchema.Migrations("BYTEA");

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", ("key", MigrationLockKey));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

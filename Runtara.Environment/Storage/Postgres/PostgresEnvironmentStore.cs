using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;
using Runtara.Data;

namespace Runtara.Environment.Storage.Postgres;

/// <summary>
/// PostgreSQL store: the same tables and SQL as SQLite (times as BIGINT milliseconds, BYTEA for input);
/// migrations take an advisory lock (Runtara.Data) so several environments can start against one database.
/// </summary>
public sealed class PostgresEnvironmentStore : SqlEnvironmentStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    /// <param name="connectionString">The database's Npgsql connection string.</param>
    /// <param name="logger">Where applied migrations are logged; none by default.</param>
    public PostgresEnvironmentStore(string connectionString, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        Migrations = new MigrationRunner(MigrationDialect.PostgreSql, EnvironmentSchema.History, EnvironmentSchema.Migrations("BYTEA"), logger);
    }

    protected override MigrationRunner Migrations { get; }

    protected override string SkipLockedClause => " FOR UPDATE SKIP LOCKED";

    /// <summary>Environments sharing this database fetch image content from it (no shared volume needed).</summary>
    public override bool HoldsImageContent => true;

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

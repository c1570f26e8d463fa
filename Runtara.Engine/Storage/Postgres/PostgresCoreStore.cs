using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;
using Runtara.Engine.Diagnostics;

namespace Runtara.Engine.Storage.Postgres;

/// <summary>
/// PostgreSQL storage through Npgsql. Commits are durable by the server's own WAL flush
/// (<c>synchronous_commit</c> on, the default). The writer keeps one connection with prepared
/// statements; reads use the pool. Row locks (FOR UPDATE, SKIP LOCKED) keep several core
/// replicas over one database correct.
/// </summary>
internal sealed class PostgresCoreStore : SqlCoreStore
{
    // Any constant shared by all replicas: serialises concurrent start-ups' migrations.
    private const long MigrationLockKey = 0x52_54_41_52_41_43_4F_52; // "RTARACOR"

    private readonly NpgsqlDataSource _dataSource;

    public PostgresCoreStore(string connectionString, StoreSettings settings, ILogger<PostgresCoreStore> logger)
        : base(settings, logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 32;
        }

        Location = $"{builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public override string Backend => "postgresql";

    public string Location { get; }

    protected override string LockRowClause => " FOR UPDATE";

    protected override string LockInstanceRowClause => " FOR UPDATE OF i";

    protected override string ClaimClause => " FOR UPDATE SKIP LOCKED";

    protected override string PayloadContainsExpression(string parameter) => $"strpos(lower(encode(payload, 'escape')), {parameter}) > 0";

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Log.StorageSelected(Logger, Backend, Location);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            command.Parameters.AddWithValue("key", MigrationLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var command = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var applied = new HashSet<int>();
        await using (var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        foreach (var migration in PostgresMigrations.All.Where(m => !applied.Contains(m.Version)).OrderBy(m => m.Version))
        {
#pragma warning disable CA2100 // Migration SQL is a compiled-in constant.
            await using (var command = new NpgsqlCommand(migration.Sql, connection, transaction))
#pragma warning restore CA2100
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var command = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)", connection, transaction))
            {
                command.Parameters.AddWithValue("v", migration.Version);
                command.Parameters.AddWithValue("n", migration.Name);
                command.Parameters.AddWithValue("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            Log.MigrationApplied(Logger, Backend, migration.Version, migration.Name);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(bool forWriter, CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async ValueTask<WriterTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        WriterTransaction.Of(await ((NpgsqlConnection)connection).BeginTransactionAsync(cancellationToken).ConfigureAwait(false));

    protected override async ValueTask CloseAsync()
    {
        await base.CloseAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}

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
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresWakeupListener? _wakeups;

    /// <param name="connectionString">The database.</param>
    /// <param name="settings">Batching and writers.</param>
    /// <param name="logger">The store's logger.</param>
    /// <param name="onWakeup">Called when any core of the database made something due (<see cref="PostgresWakeupListener"/>); null: no listening.</param>
    public PostgresCoreStore(string connectionString, StoreSettings settings, ILogger<PostgresCoreStore> logger, Action? onWakeup = null)
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
        _wakeups = onWakeup is null ? null : new PostgresWakeupListener(connectionString, onWakeup, logger);
    }

    public override string Backend => "postgresql";

    public string Location { get; }

    internal override string LockRowClause => " FOR UPDATE";

    internal override string LockInstanceRowClause => " FOR UPDATE OF i";

    internal override string ClaimClause => " FOR UPDATE SKIP LOCKED";

    internal override string ClaimChildrenClause => " FOR UPDATE OF c SKIP LOCKED";

    // Delivered to every listening core when the transaction commits, never when it rolls back.
    internal override string? NotifyWakeupSql => $"SELECT pg_notify('{PostgresWakeupListener.Channel}', '')";

    // Only the errors after which PostgreSQL guarantees the transaction was rolled back: a retry cannot apply it twice.
    protected override bool IsTransient(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    protected override string PayloadContainsExpression(string parameter) => $"strpos(lower(encode(payload, 'escape')), {parameter}) > 0";

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Log.StorageSelected(Logger, Backend, Location);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await PostgresMigrations.Runner(Logger).RunAsync(connection, cancellationToken).ConfigureAwait(false);
        if (_wakeups is not null)
        {
            await _wakeups.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(bool forWriter, CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async ValueTask<WriterTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        WriterTransaction.Of(await ((NpgsqlConnection)connection).BeginTransactionAsync(cancellationToken).ConfigureAwait(false));

    protected override async ValueTask CloseAsync()
    {
        await base.CloseAsync().ConfigureAwait(false);
        if (_wakeups is not null)
        {
            await _wakeups.DisposeAsync().ConfigureAwait(false);
        }

        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}

using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Protocol.Transport;

namespace Runtara.Engine.Storage;

/// <summary>
/// The SQL both backends share: the schema has the same tables and columns (times are Unix ms in
/// BIGINT/INTEGER columns), both accept <c>@name</c> parameters, ON CONFLICT and RETURNING. Backends
/// supply connections, migrations and the few dialect differences. The reads are here; the writer's
/// statements are <see cref="SqlStoreWriter"/>, over each writer connection's <see cref="StatementCache"/>.
/// </summary>
internal abstract class SqlCoreStore(StoreSettings settings, ILogger logger) : GroupCommitStore(settings, logger)
{
    internal const string InstanceColumns =
        "instance_id, tenant_id, status, checkpoint_id, created_at, started_at, finished_at, last_activity_at, sleep_until, wake_lease_until, output, error, waiting_for, incarnation";

    private readonly WriterSlot[] _writers = [.. Enumerable.Range(0, Math.Max(1, settings.Writers)).Select(_ => new WriterSlot())];

    private DialectStatements? _statements;

    /// <summary>Appended to the writer's instance read to lock the row (PostgreSQL: FOR UPDATE).</summary>
    internal abstract string LockRowClause { get; }

    /// <summary>Appended to the joined instance-and-signal read to lock only the instance row (PostgreSQL: FOR UPDATE OF i).</summary>
    internal abstract string LockInstanceRowClause { get; }

    /// <summary>Appended to the due-wakeup claim so that replicas skip each other's rows.</summary>
    internal abstract string ClaimClause { get; }

    /// <summary>The same for the child-start claim, which joins the instance row (PostgreSQL: lock only the child row).</summary>
    internal abstract string ClaimChildrenClause { get; }

    /// <summary>The writer's statements with this dialect's clauses, composed on first use.</summary>
    internal DialectStatements Statements => _statements ??= new DialectStatements(this);

    /// <summary>Tells the other cores of the database at commit that something may be due (PostgreSQL NOTIFY); null where one core owns the database (SQLite).</summary>
    internal virtual string? NotifyWakeupSql => null;

    /// <summary>A boolean SQL expression: the payload, read as text, contains the lower-cased parameter (ASCII case-insensitive).</summary>
    protected abstract string PayloadContainsExpression(string parameter);

    protected abstract ValueTask<DbConnection> OpenConnectionAsync(bool forWriter, CancellationToken cancellationToken);

    /// <summary>The hot path's statements (checkpoints, instance rows, events) run natively on a new writer connection, or null to run them as commands.</summary>
    protected virtual IHotPathStatements? CreateHotPath(DbConnection connection) => null;

    /// <summary>Begins a transaction on a writer connection.</summary>
    protected abstract ValueTask<WriterTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken);

    protected override async Task OpenWriterAsync(CancellationToken cancellationToken) =>
        await EnsureWriterAsync(_writers[0], cancellationToken).ConfigureAwait(false);

    protected override async ValueTask<IWriteTransaction> BeginWriteAsync(int writer, CancellationToken cancellationToken)
    {
        var slot = _writers[writer];
        var (connection, statements) = await EnsureWriterAsync(slot, cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await BeginTransactionAsync(connection, cancellationToken).ConfigureAwait(false);
            return new SqlStoreWriter(this, slot, transaction, statements);
        }
        catch
        {
            // A broken writer connection is replaced on the next batch.
            await slot.ResetAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async ValueTask CloseAsync()
    {
        foreach (var slot in _writers)
        {
            await slot.ResetAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask<(DbConnection, StatementCache)> EnsureWriterAsync(WriterSlot slot, CancellationToken cancellationToken)
    {
        if (slot.Connection is { State: ConnectionState.Open } open && slot.Statements is not null)
        {
            return (open, slot.Statements);
        }

        await slot.ResetAsync().ConfigureAwait(false);
        slot.Connection = await OpenConnectionAsync(forWriter: true, cancellationToken).ConfigureAwait(false);
        slot.Statements = new StatementCache(slot.Connection);
        slot.HotPath = CreateHotPath(slot.Connection);
        return (slot.Connection, slot.Statements);
    }

    // ---- reads (own connections, committed data only) ----

    public override Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            await using var command = Command(connection, $"SELECT {InstanceColumns} FROM instances WHERE instance_id = @id");
            Bind(command, "@id", DbType.String, instanceId);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false) ? ReadInstance(reader) : null;
        }, cancellationToken);

    public override Task<CheckpointRecord?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            await using var command = Command(connection, "SELECT state, created_at FROM checkpoints WHERE instance_id = @id AND checkpoint_id = @cp");
            Bind(command, "@id", DbType.String, instanceId);
            Bind(command, "@cp", DbType.String, checkpointId);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false)
                ? new CheckpointRecord(instanceId, checkpointId, reader.GetFieldValue<byte[]>(0), reader.GetInt64(1))
                : null;
        }, cancellationToken);

    public override Task<PendingSignal?> GetPendingSignalAsync(string instanceId, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            await using var command = Command(connection, PendingSignalSql);
            Bind(command, "@id", DbType.String, instanceId);
            return await ReadPendingSignalAsync(command, instanceId, token).ConfigureAwait(false);
        }, cancellationToken);

    public override Task<Page<InstanceRecord>> ListInstancesAsync(InstanceQuery query, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            var where = new StringBuilder(" WHERE 1=1");
            var parameters = new List<(string, DbType, object?)>();
            if (query.TenantId is not null)
            {
                where.Append(" AND tenant_id = @tenant");
                parameters.Add(("@tenant", DbType.String, query.TenantId));
            }

            if (query.Status is { } status)
            {
                where.Append(" AND status = @status");
                parameters.Add(("@status", DbType.String, status.ToStorageName()));
            }

            if (query.LastActivityBeforeMs is { } before)
            {
                where.Append(" AND COALESCE(last_activity_at, created_at) < @before");
                parameters.Add(("@before", DbType.Int64, before));
            }

            var total = await CountAsync(connection, "SELECT COUNT(*) FROM instances" + where, parameters, token).ConfigureAwait(false);
            await using var command = Command(connection, $"SELECT {InstanceColumns} FROM instances{where} ORDER BY created_at DESC, instance_id DESC LIMIT @limit OFFSET @offset");
            BindAll(command, parameters);
            Bind(command, "@limit", DbType.Int64, (long)query.Limit);
            Bind(command, "@offset", DbType.Int64, (long)query.Offset);
            var items = new List<InstanceRecord>();
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                items.Add(ReadInstance(reader));
            }

            return new Page<InstanceRecord>(items, total, query.Limit, query.Offset);
        }, cancellationToken);

    public override Task<Page<CheckpointSummary>> ListCheckpointsAsync(CheckpointQuery query, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            var (where, parameters) = InstanceAndKey(query.InstanceId, query.CheckpointId);

            AddRange(where, parameters, query.CreatedAfterMs, query.CreatedBeforeMs);
            var total = await CountAsync(connection, "SELECT COUNT(*) FROM checkpoints" + where, parameters, token).ConfigureAwait(false);
            await using var command = Command(connection, $"SELECT checkpoint_id, created_at, length(state) FROM checkpoints{where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset");
            BindAll(command, parameters);
            Bind(command, "@limit", DbType.Int64, (long)query.Limit);
            Bind(command, "@offset", DbType.Int64, (long)query.Offset);
            var items = new List<CheckpointSummary>();
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                items.Add(new CheckpointSummary(query.InstanceId, reader.GetString(0), reader.GetInt64(1), Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture)));
            }

            return new Page<CheckpointSummary>(items, total, query.Limit, query.Offset);
        }, cancellationToken);

    public override Task<Page<EventRecord>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            var where = new StringBuilder(" WHERE instance_id = @id");
            var parameters = new List<(string, DbType, object?)> { ("@id", DbType.String, query.InstanceId) };
            if (query.Kind is { } kind)
            {
                where.Append(" AND event_type = @type");
                parameters.Add(("@type", DbType.String, kind.ToStorageName()));
            }

            if (query.Subtype is not null)
            {
                where.Append(" AND subtype = @subtype");
                parameters.Add(("@subtype", DbType.String, query.Subtype));
            }

            AddRange(where, parameters, query.CreatedAfterMs, query.CreatedBeforeMs);
            if (!string.IsNullOrEmpty(query.PayloadContains))
            {
                where.Append(" AND payload IS NOT NULL AND ").Append(PayloadContainsExpression("@needle"));
                parameters.Add(("@needle", DbType.String, query.PayloadContains.ToLowerInvariant()));
            }

            var total = await CountAsync(connection, "SELECT COUNT(*) FROM instance_events" + where, parameters, token).ConfigureAwait(false);
            await using var command = Command(connection,
                $"SELECT id, event_type, checkpoint_id, payload, subtype, created_at, client_timestamp FROM instance_events{where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset");
            BindAll(command, parameters);
            Bind(command, "@limit", DbType.Int64, (long)query.Limit);
            Bind(command, "@offset", DbType.Int64, (long)query.Offset);
            var items = new List<EventRecord>();
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                items.Add(new EventRecord(
                    reader.GetInt64(0),
                    query.InstanceId,
                    EventKindExtensions.TryParseStorageName(reader.GetString(1)) ?? EventKind.Heartbeat,
                    NullableString(reader, 2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3),
                    NullableString(reader, 4),
                    reader.GetInt64(5),
                    NullableInt64(reader, 6)));
            }

            return new Page<EventRecord>(items, total, query.Limit, query.Offset);
        }, cancellationToken);

    public override Task<Page<RetryAttemptRecord>> ListRetryAttemptsAsync(RetryAttemptQuery query, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            var (where, parameters) = InstanceAndKey(query.InstanceId, query.CheckpointId);

            var total = await CountAsync(connection, "SELECT COUNT(*) FROM retry_attempts" + where, parameters, token).ConfigureAwait(false);
            await using var command = Command(connection,
                $"SELECT checkpoint_id, attempt_number, error_message, created_at FROM retry_attempts{where} ORDER BY checkpoint_id, attempt_number LIMIT @limit OFFSET @offset");
            BindAll(command, parameters);
            Bind(command, "@limit", DbType.Int64, (long)query.Limit);
            Bind(command, "@offset", DbType.Int64, (long)query.Offset);
            var items = new List<RetryAttemptRecord>();
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                items.Add(new RetryAttemptRecord(query.InstanceId, reader.GetString(0), checked((int)reader.GetInt64(1)), NullableString(reader, 2), reader.GetInt64(3)));
            }

            return new Page<RetryAttemptRecord>(items, total, query.Limit, query.Offset);
        }, cancellationToken);

    /// <summary>The WHERE clause of the per-instance lists, optionally narrowed to one checkpoint key.</summary>
    private static (StringBuilder Where, List<(string, DbType, object?)> Parameters) InstanceAndKey(string instanceId, string? checkpointId)
    {
        var where = new StringBuilder(" WHERE instance_id = @id");
        var parameters = new List<(string, DbType, object?)> { ("@id", DbType.String, instanceId) };
        if (checkpointId is not null)
        {
            where.Append(" AND checkpoint_id = @cp");
            parameters.Add(("@cp", DbType.String, checkpointId));
        }

        return (where, parameters);
    }

    public override Task<IReadOnlyDictionary<InstanceStatus, long>> CountInstancesByStatusAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyDictionary<InstanceStatus, long>>(async (connection, token) =>
        {
            await using var command = Command(connection, "SELECT status, COUNT(*) FROM instances GROUP BY status");
            var counts = new Dictionary<InstanceStatus, long>();
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var status = InstanceStatusNames.ParseStorageName(reader.GetString(0));
                counts[status] = counts.GetValueOrDefault(status) + reader.GetInt64(1);
            }

            return counts;
        }, cancellationToken);

    public override Task<long?> GetNextWakeAtAsync(CancellationToken cancellationToken) =>
        ReadAsync<long?>(async (connection, token) =>
        {
            await using var command = Command(connection, "SELECT MIN(sleep_until) FROM instances WHERE status = 'suspended' AND sleep_until IS NOT NULL");
            return await command.ExecuteScalarAsync(token).ConfigureAwait(false) is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
        }, cancellationToken);

    public override Task<string?> GetParentIdAsync(string instanceId, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, token) =>
        {
            await using var command = Command(connection, "SELECT parent_id FROM instance_children WHERE child_id = @id");
            Bind(command, "@id", DbType.String, instanceId);
            return await command.ExecuteScalarAsync(token).ConfigureAwait(false) as string;
        }, cancellationToken);

    public override Task<IReadOnlyList<InstanceStatus>> GetStatusesAsync(IReadOnlyList<string> instanceIds, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<InstanceStatus>>(async (connection, token) =>
        {
            await using var command = Command(connection, "SELECT status FROM instances WHERE instance_id = @id");
            var statuses = new InstanceStatus[instanceIds.Count];
            for (var i = 0; i < instanceIds.Count; i++)
            {
                Bind(command, "@id", DbType.String, instanceIds[i]);
                statuses[i] = await command.ExecuteScalarAsync(token).ConfigureAwait(false) is string name ? InstanceStatusNames.ParseStorageName(name) : InstanceStatus.Unknown;
            }

            return statuses;
        }, cancellationToken);

    public override async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ReadAsync(async (connection, token) =>
            {
                await using var command = Command(connection, "SELECT 1");
                return Convert.ToInt64(await command.ExecuteScalarAsync(token).ConfigureAwait(false), CultureInfo.InvariantCulture) == 1;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException)
        {
            return false;
        }
    }

    private async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        // SQLite reads run synchronously under the async API: never on a socket thread (inline completions).
        await SocketThreads.LeaveAsync();
        try
        {
            var connection = await OpenConnectionAsync(forWriter: false, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await read(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (DbException ex)
        {
            throw new StorageException("read", ex);
        }
    }

    private static void AddRange(StringBuilder where, List<(string, DbType, object?)> parameters, long? afterMs, long? beforeMs)
    {
        if (afterMs is { } after)
        {
            where.Append(" AND created_at >= @after");
            parameters.Add(("@after", DbType.Int64, after));
        }

        if (beforeMs is { } before)
        {
            where.Append(" AND created_at < @before");
            parameters.Add(("@before", DbType.Int64, before));
        }
    }

    private static async Task<long> CountAsync(DbConnection connection, string sql, List<(string, DbType, object?)> parameters, CancellationToken token)
    {
        await using var command = Command(connection, sql);
        BindAll(command, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(token).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    // ---- shared helpers (the reads here and SqlStoreWriter) ----

    internal const string PendingSignalSql =
        "SELECT signal_type, payload, created_at FROM pending_signals WHERE instance_id = @id AND acknowledged_at IS NULL";

    internal static async ValueTask<PendingSignal?> ReadPendingSignalAsync(DbCommand command, string instanceId, CancellationToken token)
    {
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        if (!await reader.ReadAsync(token).ConfigureAwait(false))
        {
            return null;
        }

        // An unknown stored type is not delivered at all (the original mapped it to CANCEL, SPEC §19.20).
        return SignalKindExtensions.TryParseStorageName(reader.GetString(0)) is { } kind
            ? new PendingSignal(instanceId, kind, reader.IsDBNull(1) ? [] : reader.GetFieldValue<byte[]>(1), reader.GetInt64(2))
            : null;
    }

#pragma warning disable CA2100 // SQL text is built from constants only; values are always parameters.
    internal static DbCommand Command(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
#pragma warning restore CA2100

    internal static void Bind(DbCommand command, string name, DbType type, object? value)
    {
        var index = command.Parameters.IndexOf(name);
        DbParameter parameter;
        if (index < 0)
        {
            parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.DbType = type;
            command.Parameters.Add(parameter);
        }
        else
        {
            parameter = command.Parameters[index];
        }

        parameter.Value = value ?? DBNull.Value;
    }

    private static void BindAll(DbCommand command, List<(string Name, DbType Type, object? Value)> parameters)
    {
        foreach (var (name, type, value) in parameters)
        {
            Bind(command, name, type, value);
        }
    }

    internal static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long? NullableInt64(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    internal static InstanceRecord ReadInstance(DbDataReader reader) => new()
    {
        InstanceId = reader.GetString(0),
        TenantId = reader.GetString(1),
        Status = InstanceStatusNames.ParseStorageName(reader.GetString(2)),
        CheckpointId = NullableString(reader, 3),
        CreatedAtMs = reader.GetInt64(4),
        StartedAtMs = NullableInt64(reader, 5),
        FinishedAtMs = NullableInt64(reader, 6),
        LastActivityMs = NullableInt64(reader, 7),
        SleepUntilMs = NullableInt64(reader, 8),
        WakeLeaseUntilMs = NullableInt64(reader, 9),
        Output = reader.IsDBNull(10) ? null : reader.GetFieldValue<byte[]>(10),
        Error = NullableString(reader, 11),
        WaitingFor = NullableString(reader, 12),
        Incarnation = reader.GetInt64(13),
    };

    /// <summary>A writer's open transaction as its backend drives it.</summary>
    internal abstract class WriterTransaction : IAsyncDisposable
    {
        /// <summary>What the writer's commands are bound to: the ADO.NET transaction, or null when the backend runs its own BEGIN/COMMIT statements.</summary>
        public abstract DbTransaction? CommandTransaction { get; }

        /// <summary>An ADO.NET transaction (it owns the transaction).</summary>
        public static WriterTransaction Of(DbTransaction transaction) => new AdoTransaction(transaction);

        /// <summary>Commits durably.</summary>
        public abstract ValueTask CommitAsync(CancellationToken cancellationToken);

        public abstract ValueTask RollbackAsync();

        public abstract ValueTask DisposeAsync();

        private sealed class AdoTransaction(DbTransaction transaction) : WriterTransaction
        {
            public override DbTransaction? CommandTransaction => transaction;

            public override ValueTask CommitAsync(CancellationToken cancellationToken) => new(transaction.CommitAsync(cancellationToken));

            public override ValueTask RollbackAsync() => new(transaction.RollbackAsync());

            public override ValueTask DisposeAsync() => transaction.DisposeAsync();
        }
    }

    /// <summary>One writer thread's connection, prepared commands and native hot-path statements (each writer owns its slot).</summary>
    internal sealed class WriterSlot
    {
        public DbConnection? Connection { get; set; }

        public StatementCache? Statements { get; set; }

        public IHotPathStatements? HotPath { get; set; }

        public async ValueTask ResetAsync()
        {
            // Native statements are finalized before their connection closes (or returns to the pool).
            HotPath?.Dispose();
            HotPath = null;
            Statements?.Dispose();
            Statements = null;
            if (Connection is not null)
            {
                await Connection.DisposeAsync().ConfigureAwait(false);
                Connection = null;
            }
        }
    }
}

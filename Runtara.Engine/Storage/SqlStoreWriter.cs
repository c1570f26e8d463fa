using System.Data;
using System.Data.Common;
using System.Globalization;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Children;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using static Runtara.Engine.Storage.SqlCoreStore;

namespace Runtara.Engine.Storage;

/// <summary>
/// The writer primitives over one open transaction of a writer connection: the statements a unit of
/// work runs (<see cref="IStoreWriter"/>), from the connection's <see cref="StatementCache"/>, with the
/// dialect's locking clauses taken from the store. <see cref="SqlCoreStore"/> begins it for each batch.
/// </summary>
internal sealed partial class SqlStoreWriter(SqlCoreStore store, SqlCoreStore.WriterSlot slot, SqlCoreStore.WriterTransaction transaction, StatementCache statements) : IWriteTransaction
{
    /// <summary>Stores a checkpoint unless its key exists (the native hot path prepares the same text).</summary>
    internal const string InsertCheckpointIfAbsentSql =
        "INSERT INTO checkpoints (instance_id, checkpoint_id, state, created_at) VALUES (@id, @cp, @state, @now) "
        + "ON CONFLICT (instance_id, checkpoint_id) DO NOTHING";

    /// <summary>Records the instance's last checkpoint and stamps its activity.</summary>
    internal const string SetLastCheckpointSql = "UPDATE instances SET checkpoint_id = @cp, last_activity_at = @at WHERE instance_id = @id";

    /// <summary>Inserts an instance row (every column).</summary>
    internal const string InsertInstanceSql =
        $"INSERT INTO instances ({InstanceColumns}) VALUES (@id, @tenant, @status, @cp, @created, @started, @finished, @activity, @sleep, @lease, @output, @error, @waiting, @incarnation)";

    /// <summary>Writes every mutable column of an instance row.</summary>
    internal const string UpdateInstanceSql =
        "UPDATE instances SET status = @status, checkpoint_id = @cp, started_at = @started, finished_at = @finished, last_activity_at = @activity, "
        + "sleep_until = @sleep, wake_lease_until = @lease, output = @output, error = @error, waiting_for = @waiting, incarnation = @incarnation WHERE instance_id = @id";

    /// <summary>Appends an event to an instance's history.</summary>
    internal const string InsertEventSql =
        "INSERT INTO instance_events (instance_id, event_type, checkpoint_id, payload, subtype, created_at, client_timestamp) "
        + "VALUES (@id, @type, @cp, @payload, @subtype, @now, @client)";

    private readonly DbTransaction? _commandTransaction = transaction.CommandTransaction;
    private bool _written;
    private bool _completed;

    public bool HasWritten => _written;

    public void ResetWriteTracking() => _written = false;

    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            try
            {
                await transaction.RollbackAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException)
            {
                // The connection broke; the database discards the transaction itself.
                await slot.ResetAsync().ConfigureAwait(false);
            }
        }

        await transaction.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        var command = statements.Get(store.Statements.LockInstance, _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadInstance(reader) : null;
    }

    public ValueTask<(InstanceStatus? Status, long Incarnation, PendingSignal? Signal, bool CustomSignalWaiting)> GetInstanceAndSignalsAsync(
        string instanceId, string checkpointId, CancellationToken cancellationToken) =>
        slot.HotPath is { } hot
            ? ValueTask.FromResult(hot.GetInstanceAndSignals(instanceId, checkpointId))
            : ReadInstanceAndSignalsAsync(instanceId, checkpointId, cancellationToken);

    private async ValueTask<(InstanceStatus? Status, long Incarnation, PendingSignal? Signal, bool CustomSignalWaiting)> ReadInstanceAndSignalsAsync(
        string instanceId, string checkpointId, CancellationToken cancellationToken)
    {
        var command = statements.Get(store.Statements.LockInstanceWithSignals, _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@cp", DbType.String, checkpointId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (null, 0, null, false);
        }

        var status = InstanceStatusNames.ParseStorageName(reader.GetString(0));
        var signal = reader.IsDBNull(1) || SignalKindExtensions.TryParseStorageName(reader.GetString(1)) is not { } kind
            ? null
            : new PendingSignal(instanceId, kind, reader.IsDBNull(2) ? [] : reader.GetFieldValue<byte[]>(2), reader.GetInt64(3));
        return (status, reader.GetInt64(5), signal, Convert.ToBoolean(reader.GetValue(4), CultureInfo.InvariantCulture));
    }

    public async ValueTask NotifyWakeupAsync(CancellationToken cancellationToken)
    {
        if (store.NotifyWakeupSql is { } sql)
        {
            await statements.Get(sql, _commandTransaction).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask InsertInstanceAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        _written = true;
        if (slot.HotPath is { } hot)
        {
            hot.InsertInstance(instance);
            return;
        }

        var command = statements.Get(InsertInstanceSql, _commandTransaction);
        BindInstance(command, instance);
        Bind(command, "@tenant", DbType.String, instance.TenantId);
        Bind(command, "@created", DbType.Int64, instance.CreatedAtMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask UpdateInstanceAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        _written = true;
        if (slot.HotPath is { } hot)
        {
            hot.UpdateInstance(instance);
            return;
        }

        var command = statements.Get(UpdateInstanceSql, _commandTransaction);
        BindInstance(command, instance);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask SetLastCheckpointAsync(string instanceId, string checkpointId, long atMs, CancellationToken cancellationToken)
    {
        _written = true;
        if (slot.HotPath is { } hot)
        {
            hot.SetLastCheckpoint(instanceId, checkpointId, atMs);
            return;
        }

        var command = statements.Get(SetLastCheckpointSql, _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@cp", DbType.String, checkpointId);
        Bind(command, "@at", DbType.Int64, atMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask TouchInstanceAsync(string instanceId, long atMs, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get(
            "UPDATE instances SET last_activity_at = @at WHERE instance_id = @id AND (last_activity_at IS NULL OR last_activity_at < @at)", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@at", DbType.Int64, atMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<CheckpointSaveResult> SaveCheckpointIfAbsentAsync(string instanceId, string checkpointId, byte[] state, long nowMs, CancellationToken cancellationToken)
    {
        _written = true;
        if (slot.HotPath is { } hot
            ? hot.InsertCheckpointIfAbsent(instanceId, checkpointId, state, nowMs)
            : await InsertCheckpointIfAbsentAsync(instanceId, checkpointId, state, nowMs, cancellationToken).ConfigureAwait(false))
        {
            return new CheckpointSaveResult(true, new CheckpointRecord(instanceId, checkpointId, state, nowMs));
        }

        // Someone stored this key first: every caller gets the winner's state.
        var stored = await GetCheckpointAsync(instanceId, checkpointId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Checkpoint '{checkpointId}' conflicted but could not be read back.");
        return new CheckpointSaveResult(false, stored);
    }

    // A method, not a local function: an async local function's captures are a closure allocated on every save.
    private async ValueTask<bool> InsertCheckpointIfAbsentAsync(string instanceId, string checkpointId, byte[] state, long nowMs, CancellationToken cancellationToken)
    {
        var insert = statements.Get(InsertCheckpointIfAbsentSql, _commandTransaction);
        Bind(insert, "@id", DbType.String, instanceId);
        Bind(insert, "@cp", DbType.String, checkpointId);
        Bind(insert, "@state", DbType.Binary, state);
        Bind(insert, "@now", DbType.Int64, nowMs);
        return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async ValueTask<(int Copied, string? LastCheckpointId)?> CopyCheckpointsAsync(string sourceId, string targetId, string? upToCheckpointId, CancellationToken cancellationToken)
    {
        // The checkpoints' row ids are their save order (one sequence per table).
        var last = statements.Get(
            "SELECT id, checkpoint_id FROM checkpoints WHERE instance_id = @source AND (@upto IS NULL OR checkpoint_id = @upto) ORDER BY id DESC LIMIT 1",
            _commandTransaction);
        Bind(last, "@source", DbType.String, sourceId);
        Bind(last, "@upto", DbType.String, upToCheckpointId);
        long lastRow;
        string lastCheckpoint;
        await using (var reader = await last.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return upToCheckpointId is null ? (0, null) : null;
            }

            (lastRow, lastCheckpoint) = (reader.GetInt64(0), reader.GetString(1));
        }

        _written = true;
        var copy = statements.Get(
            "INSERT INTO checkpoints (instance_id, checkpoint_id, state, created_at) "
            + "SELECT @target, checkpoint_id, state, created_at FROM checkpoints WHERE instance_id = @source AND id <= @last ORDER BY id "
            + "ON CONFLICT (instance_id, checkpoint_id) DO NOTHING",
            _commandTransaction);
        Bind(copy, "@target", DbType.String, targetId);
        Bind(copy, "@source", DbType.String, sourceId);
        Bind(copy, "@last", DbType.Int64, lastRow);
        var copied = await copy.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return (copied, lastCheckpoint);
    }

    public async ValueTask<CheckpointRecord?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken)
    {
        var command = statements.Get("SELECT state, created_at FROM checkpoints WHERE instance_id = @id AND checkpoint_id = @cp", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@cp", DbType.String, checkpointId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new CheckpointRecord(instanceId, checkpointId, reader.GetFieldValue<byte[]>(0), reader.GetInt64(1))
            : null;
    }

    public async ValueTask<bool> CheckpointExistsAsync(string instanceId, string checkpointId, CancellationToken cancellationToken)
    {
        var command = statements.Get("SELECT 1 FROM checkpoints WHERE instance_id = @id AND checkpoint_id = @cp", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@cp", DbType.String, checkpointId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not (null or DBNull);
    }

    public async ValueTask<PendingSignal?> GetPendingSignalAsync(string instanceId, CancellationToken cancellationToken)
    {
        var command = statements.Get(PendingSignalSql, _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        return await ReadPendingSignalAsync(command, instanceId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask UpsertPendingSignalAsync(PendingSignal signal, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get(
            "INSERT INTO pending_signals (instance_id, signal_type, payload, created_at, acknowledged_at) VALUES (@id, @type, @payload, @now, NULL) "
            + "ON CONFLICT (instance_id) DO UPDATE SET signal_type = excluded.signal_type, payload = excluded.payload, created_at = excluded.created_at, acknowledged_at = NULL",
            _commandTransaction);
        Bind(command, "@id", DbType.String, signal.InstanceId);
        Bind(command, "@type", DbType.String, signal.Kind.ToStorageName());
        Bind(command, "@payload", DbType.Binary, signal.Payload.Length == 0 ? null : signal.Payload);
        Bind(command, "@now", DbType.Int64, signal.CreatedAtMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> AcknowledgeSignalAsync(string instanceId, SignalKind kind, long nowMs, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get(
            "UPDATE pending_signals SET acknowledged_at = @now WHERE instance_id = @id AND signal_type = @type AND acknowledged_at IS NULL", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@type", DbType.String, kind.ToStorageName());
        Bind(command, "@now", DbType.Int64, nowMs);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async ValueTask UpsertCustomSignalAsync(string instanceId, string checkpointId, byte[] payload, long nowMs, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get(
            "INSERT INTO pending_custom_signals (instance_id, checkpoint_id, payload, created_at) VALUES (@id, @cp, @payload, @now) "
            + "ON CONFLICT (instance_id, checkpoint_id) DO UPDATE SET payload = excluded.payload, created_at = excluded.created_at",
            _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@cp", DbType.String, checkpointId);
        Bind(command, "@payload", DbType.Binary, payload);
        Bind(command, "@now", DbType.Int64, nowMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<byte[]?> TakeCustomSignalAsync(string instanceId, string checkpointId, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get(
            "DELETE FROM pending_custom_signals WHERE instance_id = @id AND checkpoint_id = @cp RETURNING payload", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@cp", DbType.String, checkpointId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return reader.IsDBNull(0) ? [] : reader.GetFieldValue<byte[]>(0);
    }

    public async ValueTask InsertEventAsync(NewEvent instanceEvent, CancellationToken cancellationToken)
    {
        _written = true;
        if (slot.HotPath is { } hot)
        {
            hot.InsertEvent(instanceEvent);
            return;
        }

        var command = statements.Get(InsertEventSql, _commandTransaction);
        Bind(command, "@id", DbType.String, instanceEvent.InstanceId);
        Bind(command, "@type", DbType.String, instanceEvent.Kind.ToStorageName());
        Bind(command, "@cp", DbType.String, instanceEvent.CheckpointId);
        Bind(command, "@payload", DbType.Binary, instanceEvent.Payload is { Length: > 0 } payload ? payload : null);
        Bind(command, "@subtype", DbType.String, instanceEvent.Subtype);
        Bind(command, "@now", DbType.Int64, instanceEvent.CreatedAtMs);
        Bind(command, "@client", DbType.Int64, instanceEvent.ClientTimestampMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long> SaveSleepIfAbsentAsync(string instanceId, string checkpointId, long wakeAtMs, long nowMs, CancellationToken cancellationToken)
    {
        _written = true;
        var insert = statements.Get(
            "INSERT INTO instance_sleeps (instance_id, checkpoint_id, wake_at, created_at) VALUES (@id, @cp, @wake, @now) "
            + "ON CONFLICT (instance_id, checkpoint_id) DO NOTHING",
            _commandTransaction);
        Bind(insert, "@id", DbType.String, instanceId);
        Bind(insert, "@cp", DbType.String, checkpointId);
        Bind(insert, "@wake", DbType.Int64, wakeAtMs);
        Bind(insert, "@now", DbType.Int64, nowMs);
        if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
        {
            return wakeAtMs;
        }

        var select = statements.Get("SELECT wake_at FROM instance_sleeps WHERE instance_id = @id AND checkpoint_id = @cp", _commandTransaction);
        Bind(select, "@id", DbType.String, instanceId);
        Bind(select, "@cp", DbType.String, checkpointId);
        return Convert.ToInt64(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    public async ValueTask UpsertRetryAttemptAsync(RetryAttemptRecord attempt, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get(
            "INSERT INTO retry_attempts (instance_id, checkpoint_id, attempt_number, error_message, created_at) VALUES (@id, @cp, @attempt, @error, @now) "
            + "ON CONFLICT (instance_id, checkpoint_id, attempt_number) DO UPDATE SET error_message = excluded.error_message, created_at = excluded.created_at",
            _commandTransaction);
        Bind(command, "@id", DbType.String, attempt.InstanceId);
        Bind(command, "@cp", DbType.String, attempt.CheckpointId);
        Bind(command, "@attempt", DbType.Int64, (long)attempt.AttemptNumber);
        Bind(command, "@error", DbType.String, attempt.ErrorMessage);
        Bind(command, "@now", DbType.Int64, attempt.CreatedAtMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<DueWakeup>> ClaimDueWakeupsAsync(long nowMs, int limit, long? leaseUntilMs, CancellationToken cancellationToken)
    {
        var select = statements.Get(store.Statements.ClaimDueWakeups, _commandTransaction);
        Bind(select, "@now", DbType.Int64, nowMs);
        Bind(select, "@limit", DbType.Int64, (long)limit);
        var due = new List<DueWakeup>();
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                due.Add(new DueWakeup(reader.GetString(0), reader.GetString(1), NullableString(reader, 2), reader.GetInt64(3)));
            }
        }

        await LeaseAsync("UPDATE instances SET wake_lease_until = @lease WHERE instance_id = @id", due.Select(wakeup => wakeup.InstanceId), leaseUntilMs, cancellationToken).ConfigureAwait(false);
        return due;
    }

    private static void BindInstance(DbCommand command, InstanceRecord instance)
    {
        Bind(command, "@id", DbType.String, instance.InstanceId);
        Bind(command, "@status", DbType.String, instance.Status.ToStorageName());
        Bind(command, "@cp", DbType.String, instance.CheckpointId);
        Bind(command, "@started", DbType.Int64, instance.StartedAtMs);
        Bind(command, "@finished", DbType.Int64, instance.FinishedAtMs);
        Bind(command, "@activity", DbType.Int64, instance.LastActivityMs);
        Bind(command, "@sleep", DbType.Int64, instance.SleepUntilMs);
        Bind(command, "@lease", DbType.Int64, instance.WakeLeaseUntilMs);
        Bind(command, "@output", DbType.Binary, instance.Output);
        Bind(command, "@error", DbType.String, instance.Error);
        Bind(command, "@waiting", DbType.String, instance.WaitingFor);
        Bind(command, "@incarnation", DbType.Int64, instance.Incarnation);
    }

    public async ValueTask<long?> GetCustomSignalTimeAsync(string instanceId, string checkpointId, CancellationToken cancellationToken)
    {
        var command = statements.Get("SELECT created_at FROM pending_custom_signals WHERE instance_id = @id AND checkpoint_id = @cp", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        Bind(command, "@cp", DbType.String, checkpointId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } value and not DBNull
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : null;
    }

    public async ValueTask InsertChildAsync(ChildRecord child, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get(
            "INSERT INTO instance_children (child_id, parent_id, child_key, image, input, detached, created_at) VALUES (@child, @parent, @key, @image, @input, @detached, @now)",
            _commandTransaction);
        Bind(command, "@child", DbType.String, child.ChildId);
        Bind(command, "@parent", DbType.String, child.ParentId);
        Bind(command, "@key", DbType.String, child.Key);
        Bind(command, "@image", DbType.String, child.Image);
        Bind(command, "@input", DbType.Binary, child.Input);
        Bind(command, "@detached", DbType.Int64, child.Detached ? 1L : 0L);
        Bind(command, "@now", DbType.Int64, child.CreatedAtMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<string?> GetChildIdAsync(string parentId, string key, CancellationToken cancellationToken)
    {
        var command = statements.Get("SELECT child_id FROM instance_children WHERE parent_id = @parent AND child_key = @key", _commandTransaction);
        Bind(command, "@parent", DbType.String, parentId);
        Bind(command, "@key", DbType.String, key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    public async ValueTask<string?> GetParentIdAsync(string childId, CancellationToken cancellationToken)
    {
        var command = statements.Get("SELECT parent_id FROM instance_children WHERE child_id = @child", _commandTransaction);
        Bind(command, "@child", DbType.String, childId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    public async ValueTask<IReadOnlyList<(string ChildId, InstanceStatus Status)>> ListAttachedChildrenAsync(string parentId, CancellationToken cancellationToken)
    {
        var command = statements.Get(
            "SELECT c.child_id, i.status FROM instance_children c JOIN instances i ON i.instance_id = c.child_id WHERE c.parent_id = @parent AND c.detached = 0 ORDER BY c.created_at, c.child_id",
            _commandTransaction);
        Bind(command, "@parent", DbType.String, parentId);
        var children = new List<(string, InstanceStatus)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            children.Add((reader.GetString(0), InstanceStatusNames.ParseStorageName(reader.GetString(1))));
        }

        return children;
    }

    public async ValueTask<(IReadOnlyList<ChildStart> Starts, bool Cut)> ClaimChildStartsAsync(long nowMs, int limit, long maxBytes, bool atLeastOne, long? leaseUntilMs, CancellationToken cancellationToken)
    {
        var select = statements.Get(store.Statements.ClaimChildStarts, _commandTransaction);
        Bind(select, "@now", DbType.Int64, nowMs);
        Bind(select, "@limit", DbType.Int64, (long)limit);
        var starts = new List<ChildStart>();
        var cut = false;
        long bytes = 0;
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var start = new ChildStart(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? [] : reader.GetFieldValue<byte[]>(4));

                // Cut before leasing: a start left out of the answer must stay claimable at once.
                if ((starts.Count > 0 || !atLeastOne) && bytes + start.EstimatedBytes > maxBytes)
                {
                    cut = true;
                    break;
                }

                starts.Add(start);
                bytes += start.EstimatedBytes;
            }
        }

        await LeaseAsync("UPDATE instance_children SET start_lease_until = @lease WHERE child_id = @id", starts.Select(start => start.ChildId), leaseUntilMs, cancellationToken).ConfigureAwait(false);
        return (starts, cut);
    }

    /// <summary>Sets the lease column of each claimed row (<paramref name="sql"/> binds <c>@id</c> and <c>@lease</c>); nothing without a lease.</summary>
    private async ValueTask LeaseAsync(string sql, IEnumerable<string> ids, long? leaseUntilMs, CancellationToken cancellationToken)
    {
        if (leaseUntilMs is not { } lease)
        {
            return;
        }

        var update = statements.Get(sql, _commandTransaction);
        foreach (var id in ids)
        {
            _written = true;
            Bind(update, "@id", DbType.String, id);
            Bind(update, "@lease", DbType.Int64, lease);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

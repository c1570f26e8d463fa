using System.Data;
using Microsoft.Data.Sqlite;

namespace Runtara.Sdk.Embedded;

/// <summary>A checkpoint as stored by the embedded backend.</summary>
public sealed record EmbeddedCheckpoint(string CheckpointId, ReadOnlyMemory<byte> State, DateTimeOffset CreatedAt);

/// <summary>A recorded retry attempt (SPEC §11).</summary>
public sealed record RetryAttemptRecord(string CheckpointId, int AttemptNumber, string? ErrorMessage, DateTimeOffset CreatedAt);

/// <summary>A stored instance event.</summary>
public sealed record EventRecord(string EventType, string? CheckpointId, string? Subtype, ReadOnlyMemory<byte> Payload, DateTimeOffset CreatedAt);

/// <summary>An instance as stored by the embedded backend.</summary>
public sealed record EmbeddedInstance(
    string InstanceId,
    string TenantId,
    InstanceStatus Status,
    string? CheckpointId,
    ReadOnlyMemory<byte>? Output,
    string? Error,
    DateTimeOffset? WakeAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary>
/// The embedded backend's storage: one SQLite file holding instances, checkpoints, signals, sleeps,
/// events and retry attempts, with the core's rules (save-if-absent checkpoints, status machine,
/// one pending signal per instance, custom signals consumed once). Workflows run against it without
/// a core (set <see cref="RuntaraInstanceOptions.EmbeddedDatabasePath"/>), and tests use its
/// operator methods — <see cref="SendSignalAsync"/>, <see cref="SendCustomSignalAsync"/>,
/// <see cref="GetInstanceAsync"/>, <see cref="ListCheckpointsAsync"/> — in place of the
/// management protocol. Several processes may open the same file (WAL mode, busy timeout).
/// </summary>
public sealed class EmbeddedStore : IAsyncDisposable
{
    private const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;

    private EmbeddedStore(SqliteConnection connection, string path, TimeProvider time)
    {
        _connection = connection;
        Path = path;
        _time = time;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    public static Task<EmbeddedStore> OpenAsync(string path, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Open(path, timeProvider));
    }

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>: a local file, so synchronous.</summary>
    public static EmbeddedStore Open(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            using (var pragmas = Command(connection, "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"))
            {
                pragmas.ExecuteNonQuery();
            }

            Migrate(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new EmbeddedStore(connection, full, timeProvider ?? TimeProvider.System);
    }

    // ---- Operator side (what the management protocol offers against a core) ----

    /// <summary>Creates a PENDING instance (as the environment does before a launch). Returns false if it exists.</summary>
    public Task<bool> CreateInstanceAsync(string instanceId, string tenantId, CancellationToken cancellationToken = default) =>
        WriteAsync(async (tx, token) =>
        {
            var existing = await LoadInstanceAsync(tx, instanceId, token).ConfigureAwait(false);
            if (existing is not null)
            {
                return false;
            }

            await ExecuteAsync(tx, "INSERT INTO instances (instance_id, tenant_id, status, created_at_ms) VALUES ($id, $tenant, 'pending', $now)", token,
                ("$id", instanceId), ("$tenant", tenantId), ("$now", NowMs())).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Stores an instance-wide signal, replacing any pending one (SPEC §9.1). CANCEL reaches any live
    /// instance, PAUSE a pending or running one, RESUME a suspended one; otherwise <see cref="InstanceStateException"/>.
    /// </summary>
    public Task SendSignalAsync(string instanceId, SignalKind kind, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default)
    {
        if (kind == SignalKind.Unknown)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only known signals can be sent.");
        }

        return WriteAsync(async (tx, token) =>
        {
            var instance = await RequireInstanceAsync(tx, instanceId, token).ConfigureAwait(false);
            var allowed = kind switch
            {
                SignalKind.Cancel => !IsTerminal(instance.Status),
                SignalKind.Pause => instance.Status is InstanceStatus.Pending or InstanceStatus.Running,
                _ => instance.Status == InstanceStatus.Suspended,
            };
            if (!allowed)
            {
                throw new InstanceStateException(instanceId, $"receive a {kind.ToString().ToLowerInvariant()} signal", instance.Status);
            }

            await ExecuteAsync(tx, """
                INSERT INTO pending_signals (instance_id, signal_type, payload, created_at_ms, acknowledged_at_ms)
                VALUES ($id, $type, $payload, $now, NULL)
                ON CONFLICT (instance_id) DO UPDATE SET signal_type = excluded.signal_type, payload = excluded.payload,
                    created_at_ms = excluded.created_at_ms, acknowledged_at_ms = NULL
                """, token, ("$id", instanceId), ("$type", (int)kind), ("$payload", payload.ToArray()), ("$now", NowMs())).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>Leaves <paramref name="payload"/> at the wait point <paramref name="checkpointId"/> (replacing an unread one), SPEC §9.3.</summary>
    public Task SendCustomSignalAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        WriteAsync(async (tx, token) =>
        {
            var instance = await RequireInstanceAsync(tx, instanceId, token).ConfigureAwait(false);
            if (IsTerminal(instance.Status))
            {
                throw new InstanceStateException(instanceId, "receive a custom signal", instance.Status);
            }

            await ExecuteAsync(tx, """
                INSERT INTO custom_signals (instance_id, checkpoint_id, payload, created_at_ms) VALUES ($id, $cp, $payload, $now)
                ON CONFLICT (instance_id, checkpoint_id) DO UPDATE SET payload = excluded.payload, created_at_ms = excluded.created_at_ms
                """, token, ("$id", instanceId), ("$cp", checkpointId), ("$payload", payload.ToArray()), ("$now", NowMs())).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>The instance, or null when unknown.</summary>
    public Task<EmbeddedInstance?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, token) => LoadInstanceAsync(connection, instanceId, token), cancellationToken);

    /// <summary>The instance's checkpoints in the order they were written.</summary>
    public Task<IReadOnlyList<EmbeddedCheckpoint>> ListCheckpointsAsync(string instanceId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<EmbeddedCheckpoint>>(async (connection, token) =>
        {
            var list = new List<EmbeddedCheckpoint>();
            await using var command = Command(connection, "SELECT checkpoint_id, state, created_at_ms FROM checkpoints WHERE instance_id = $id ORDER BY seq", ("$id", instanceId));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                list.Add(new EmbeddedCheckpoint(reader.GetString(0), (byte[])reader.GetValue(1), FromMs(reader.GetInt64(2))));
            }

            return list;
        }, cancellationToken);

    /// <summary>The instance's retry attempts, by key then attempt number.</summary>
    public Task<IReadOnlyList<RetryAttemptRecord>> ListRetryAttemptsAsync(string instanceId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<RetryAttemptRecord>>(async (connection, token) =>
        {
            var list = new List<RetryAttemptRecord>();
            await using var command = Command(connection, "SELECT checkpoint_id, attempt_number, error_message, created_at_ms FROM retry_attempts WHERE instance_id = $id ORDER BY checkpoint_id, attempt_number", ("$id", instanceId));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                list.Add(new RetryAttemptRecord(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), FromMs(reader.GetInt64(3))));
            }

            return list;
        }, cancellationToken);

    /// <summary>The instance's events, oldest first.</summary>
    public Task<IReadOnlyList<EventRecord>> ListEventsAsync(string instanceId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<EventRecord>>(async (connection, token) =>
        {
            var list = new List<EventRecord>();
            await using var command = Command(connection, "SELECT event_type, checkpoint_id, subtype, payload, created_at_ms FROM events WHERE instance_id = $id ORDER BY created_at_ms, id", ("$id", instanceId));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                list.Add(new EventRecord(
                    reader.GetString(0),
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? ReadOnlyMemory<byte>.Empty : (byte[])reader.GetValue(3),
                    FromMs(reader.GetInt64(4))));
            }

            return list;
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }

    // ---- Instance side (used by EmbeddedBackend) ----

    internal long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    internal TimeProvider Time => _time;

    internal Task RegisterAsync(string instanceId, string tenantId, string? checkpointId, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, token) =>
        {
            var now = NowMs();
            var instance = await LoadInstanceAsync(tx, instanceId, token).ConfigureAwait(false);
            if (instance is not null && !string.Equals(instance.TenantId, tenantId, StringComparison.Ordinal))
            {
                throw new InstanceRegistrationException(instanceId, $"it belongs to another tenant than '{tenantId}'");
            }

            if (instance is not null && IsTerminal(instance.Status))
            {
                throw new InstanceRegistrationException(instanceId, $"it is already {ProtocolConversions.ToStorageName(instance.Status)}");
            }

            if (checkpointId is not null && !await CheckpointExistsAsync(tx, instanceId, checkpointId, token).ConfigureAwait(false))
            {
                throw new InstanceRegistrationException(instanceId, $"Checkpoint '{checkpointId}' not found");
            }

            if (instance is null)
            {
                await ExecuteAsync(tx, "INSERT INTO instances (instance_id, tenant_id, status, created_at_ms, started_at_ms) VALUES ($id, $tenant, 'running', $now, $now)", token,
                    ("$id", instanceId), ("$tenant", tenantId), ("$now", now)).ConfigureAwait(false);
            }
            else
            {
                await ExecuteAsync(tx, "UPDATE instances SET status = 'running', started_at_ms = COALESCE(started_at_ms, $now), sleep_until_ms = NULL WHERE instance_id = $id", token,
                    ("$id", instanceId), ("$now", now)).ConfigureAwait(false);
            }

            await InsertEventAsync(tx, instanceId, "started", checkpointId, null, null, now, token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    internal Task<CheckpointResult> CheckpointAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, token) =>
        {
            await RequireRunningAsync(tx, instanceId, "checkpoint", token).ConfigureAwait(false);
            var (found, stored) = await SaveCheckpointIfAbsentAsync(tx, instanceId, checkpointId, state, NowMs(), token).ConfigureAwait(false);
            var signal = await LoadPendingSignalAsync(tx, instanceId, token).ConfigureAwait(false);
            var custom = await TakeCustomSignalAsync(tx, instanceId, checkpointId, token).ConfigureAwait(false);
            return new CheckpointResult(found, found ? stored : ReadOnlyMemory<byte>.Empty, signal, custom);
        }, cancellationToken);

    internal Task<ReadOnlyMemory<byte>?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken) =>
        ReadAsync<ReadOnlyMemory<byte>?>(
            async (connection, token) => await LoadCheckpointStateAsync(connection, null, instanceId, checkpointId, token).ConfigureAwait(false) is { } state ? state : (ReadOnlyMemory<byte>?)null,
            cancellationToken);

    /// <summary>
    /// Durable sleep with the core's rules: the checkpoint and the first wake-up time of (instance,
    /// checkpoint) are stored once, and a remaining time of at least <paramref name="threshold"/>
    /// suspends the instance with that wake-up time.
    /// </summary>
    internal Task<(bool Suspended, long WakeAtMs)> SleepAsync(string instanceId, string checkpointId, long durationMs, ReadOnlyMemory<byte> state, TimeSpan threshold, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, token) =>
        {
            await RequireRunningAsync(tx, instanceId, "sleep", token).ConfigureAwait(false);
            var now = NowMs();
            await SaveCheckpointIfAbsentAsync(tx, instanceId, checkpointId, state, now, token).ConfigureAwait(false);
            await ExecuteAsync(tx, "INSERT OR IGNORE INTO sleeps (instance_id, checkpoint_id, wake_at_ms) VALUES ($id, $cp, $wake)", token,
                ("$id", instanceId), ("$cp", checkpointId), ("$wake", now + durationMs)).ConfigureAwait(false);
            await using var read = Command(tx, "SELECT wake_at_ms FROM sleeps WHERE instance_id = $id AND checkpoint_id = $cp", ("$id", instanceId), ("$cp", checkpointId));
            var wakeAt = (long)(await read.ExecuteScalarAsync(token).ConfigureAwait(false))!;
            var suspend = wakeAt - now >= (long)threshold.TotalMilliseconds;
            if (suspend)
            {
                await ExecuteAsync(tx, "UPDATE instances SET status = 'suspended', sleep_until_ms = $wake WHERE instance_id = $id", token,
                    ("$id", instanceId), ("$wake", wakeAt)).ConfigureAwait(false);
            }

            return (suspend, wakeAt);
        }, cancellationToken);

    internal Task InsertEventAsync(string instanceId, string eventType, string? checkpointId, string? subtype, ReadOnlyMemory<byte> payload, long timestampMs, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, token) =>
        {
            var instance = await RequireInstanceAsync(tx, instanceId, token).ConfigureAwait(false);
            var now = NowMs();
            switch (eventType)
            {
                case "completed":
                    EnsureStatus(instance, "complete", InstanceStatus.Running);
                    await ExecuteAsync(tx, "UPDATE instances SET status = 'completed', output = $output, error = NULL, finished_at_ms = $now WHERE instance_id = $id", token,
                        ("$id", instanceId), ("$output", payload.IsEmpty ? DBNull.Value : (object)payload.ToArray()), ("$now", now)).ConfigureAwait(false);
                    break;
                case "failed":
                    EnsureStatus(instance, "fail", InstanceStatus.Pending, InstanceStatus.Running, InstanceStatus.Suspended);
                    await ExecuteAsync(tx, "UPDATE instances SET status = 'failed', output = NULL, error = $error, finished_at_ms = $now WHERE instance_id = $id", token,
                        ("$id", instanceId), ("$error", Backends.InstanceEvents.ErrorText(payload.Span)), ("$now", now)).ConfigureAwait(false);
                    break;
                case "suspended":
                    EnsureStatus(instance, "suspend", InstanceStatus.Running);
                    await ExecuteAsync(tx, "UPDATE instances SET status = 'suspended' WHERE instance_id = $id", token, ("$id", instanceId)).ConfigureAwait(false);
                    break;
                default:
                    break;
            }

            await InsertEventAsync(tx, instanceId, eventType, checkpointId, subtype, payload.IsEmpty ? null : payload.ToArray(), timestampMs > 0 ? timestampMs : now, token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    internal Task<PendingSignal?> PollSignalsAsync(string instanceId, CancellationToken cancellationToken) =>
        ReadAsync((connection, token) => LoadPendingSignalAsync(connection, instanceId, token), cancellationToken);

    /// <summary>
    /// The core's store-as poll in one transaction: the custom signal waiting at
    /// <paramref name="checkpointId"/> is taken and stored as the checkpoint
    /// <paramref name="storeAsCheckpointId"/>; if that checkpoint exists, its state is returned and
    /// nothing is consumed, so a repeat returns the same payload and a newer signal stays waiting.
    /// </summary>
    internal Task<(PendingSignal? Signal, CustomSignal? Custom)> PollCustomSignalAsync(string instanceId, string checkpointId, string storeAsCheckpointId, CancellationToken cancellationToken) =>
        WriteAsync<(PendingSignal?, CustomSignal?)>(async (tx, token) =>
        {
            await RequireRunningAsync(tx, instanceId, "store a custom signal as a checkpoint", token).ConfigureAwait(false);
            var signal = await LoadPendingSignalAsync(tx, instanceId, token).ConfigureAwait(false);
            if (await LoadCheckpointStateAsync(tx.Connection!, tx, instanceId, storeAsCheckpointId, token).ConfigureAwait(false) is { } stored)
            {
                return (signal, new CustomSignal(checkpointId, stored));
            }

            var custom = await TakeCustomSignalAsync(tx, instanceId, checkpointId, token).ConfigureAwait(false);
            if (custom is not null)
            {
                await SaveCheckpointIfAbsentAsync(tx, instanceId, storeAsCheckpointId, custom.Payload, NowMs(), token).ConfigureAwait(false);
            }

            return (signal, custom);
        }, cancellationToken);

    internal Task AcknowledgeSignalAsync(string instanceId, SignalKind kind, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, token) =>
        {
            var now = NowMs();
            var acknowledged = await ExecuteAsync(tx, "UPDATE pending_signals SET acknowledged_at_ms = $now WHERE instance_id = $id AND signal_type = $type AND acknowledged_at_ms IS NULL", token,
                ("$id", instanceId), ("$type", (int)kind), ("$now", now)).ConfigureAwait(false);
            if (acknowledged > 0 && kind == SignalKind.Cancel)
            {
                await ExecuteAsync(tx, "UPDATE instances SET status = 'cancelled', finished_at_ms = $now, sleep_until_ms = NULL WHERE instance_id = $id AND status IN ('pending', 'running', 'suspended')", token,
                    ("$id", instanceId), ("$now", now)).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    internal Task RecordRetryAttemptAsync(string instanceId, string checkpointId, int attemptNumber, string? errorMessage, CancellationToken cancellationToken) =>
        WriteAsync((tx, token) => ExecuteAsync(tx, """
            INSERT INTO retry_attempts (instance_id, checkpoint_id, attempt_number, error_message, created_at_ms) VALUES ($id, $cp, $n, $error, $now)
            ON CONFLICT (instance_id, checkpoint_id, attempt_number) DO UPDATE SET error_message = excluded.error_message, created_at_ms = excluded.created_at_ms
            """, token, ("$id", instanceId), ("$cp", checkpointId), ("$n", attemptNumber), ("$error", (object?)errorMessage ?? DBNull.Value), ("$now", NowMs())), cancellationToken);

    // ---- Plumbing ----

    private static bool IsTerminal(InstanceStatus status) => status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;

    private static void EnsureStatus(EmbeddedInstance instance, string operation, params InstanceStatus[] allowed)
    {
        if (Array.IndexOf(allowed, instance.Status) < 0)
        {
            throw new InstanceStateException(instance.InstanceId, operation, instance.Status);
        }
    }

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private async Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // BEGIN IMMEDIATE: take the write lock up front so two processes never deadlock upgrading.
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            var result = await work(tx, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(_connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void Migrate(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction();
        using (var version = Command(tx, "PRAGMA user_version"))
        {
            if (Convert.ToInt64(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) >= SchemaVersion)
            {
                return;
            }
        }

        using var schema = Command(tx, $"""
            CREATE TABLE IF NOT EXISTS instances (
                instance_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                status TEXT NOT NULL,
                checkpoint_id TEXT,
                output BLOB,
                error TEXT,
                sleep_until_ms INTEGER,
                created_at_ms INTEGER NOT NULL,
                started_at_ms INTEGER,
                finished_at_ms INTEGER);
            CREATE TABLE IF NOT EXISTS checkpoints (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                instance_id TEXT NOT NULL REFERENCES instances (instance_id),
                checkpoint_id TEXT NOT NULL,
                state BLOB NOT NULL,
                created_at_ms INTEGER NOT NULL,
                UNIQUE (instance_id, checkpoint_id));
            CREATE TABLE IF NOT EXISTS sleeps (
                instance_id TEXT NOT NULL,
                checkpoint_id TEXT NOT NULL,
                wake_at_ms INTEGER NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id));
            CREATE TABLE IF NOT EXISTS pending_signals (
                instance_id TEXT PRIMARY KEY,
                signal_type INTEGER NOT NULL,
                payload BLOB NOT NULL,
                created_at_ms INTEGER NOT NULL,
                acknowledged_at_ms INTEGER);
            CREATE TABLE IF NOT EXISTS custom_signals (
                instance_id TEXT NOT NULL,
                checkpoint_id TEXT NOT NULL,
                payload BLOB NOT NULL,
                created_at_ms INTEGER NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id));
            CREATE TABLE IF NOT EXISTS retry_attempts (
                instance_id TEXT NOT NULL,
                checkpoint_id TEXT NOT NULL,
                attempt_number INTEGER NOT NULL,
                error_message TEXT,
                created_at_ms INTEGER NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id, attempt_number));
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                instance_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                checkpoint_id TEXT,
                subtype TEXT,
                payload BLOB,
                created_at_ms INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS events_by_instance ON events (instance_id, created_at_ms);
            PRAGMA user_version = {SchemaVersion};
            """);
        schema.ExecuteNonQuery();
        tx.Commit();
    }

    private static async Task<EmbeddedInstance?> LoadInstanceAsync(SqliteConnection connection, SqliteTransaction? tx, string instanceId, CancellationToken token)
    {
        await using var command = Command(connection, "SELECT instance_id, tenant_id, status, checkpoint_id, output, error, sleep_until_ms, started_at_ms, finished_at_ms FROM instances WHERE instance_id = $id", ("$id", instanceId));
        command.Transaction = tx;
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        if (!await reader.ReadAsync(token).ConfigureAwait(false))
        {
            return null;
        }

        return new EmbeddedInstance(
            reader.GetString(0),
            reader.GetString(1),
            ProtocolConversions.FromStorageName(reader.GetString(2)),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? (ReadOnlyMemory<byte>?)null : (byte[])reader.GetValue(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : FromMs(reader.GetInt64(6)),
            reader.IsDBNull(7) ? null : FromMs(reader.GetInt64(7)),
            reader.IsDBNull(8) ? null : FromMs(reader.GetInt64(8)));
    }

    private static Task<EmbeddedInstance?> LoadInstanceAsync(SqliteConnection connection, string instanceId, CancellationToken token) =>
        LoadInstanceAsync(connection, null, instanceId, token);

    private static Task<EmbeddedInstance?> LoadInstanceAsync(SqliteTransaction tx, string instanceId, CancellationToken token) =>
        LoadInstanceAsync(tx.Connection!, tx, instanceId, token);

    private static async Task<EmbeddedInstance> RequireInstanceAsync(SqliteTransaction tx, string instanceId, CancellationToken token) =>
        await LoadInstanceAsync(tx, instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);

    private static async Task RequireRunningAsync(SqliteTransaction tx, string instanceId, string operation, CancellationToken token)
    {
        var instance = await RequireInstanceAsync(tx, instanceId, token).ConfigureAwait(false);
        EnsureStatus(instance, operation, InstanceStatus.Running);
    }

    private static async Task<bool> CheckpointExistsAsync(SqliteTransaction tx, string instanceId, string checkpointId, CancellationToken token)
    {
        await using var command = Command(tx, "SELECT 1 FROM checkpoints WHERE instance_id = $id AND checkpoint_id = $cp", ("$id", instanceId), ("$cp", checkpointId));
        return await command.ExecuteScalarAsync(token).ConfigureAwait(false) is not null;
    }

    /// <summary>One atomic insert-if-absent; returns whether the key existed and the stored (winning) state.</summary>
    private static async Task<(bool Found, byte[] State)> SaveCheckpointIfAbsentAsync(SqliteTransaction tx, string instanceId, string checkpointId, ReadOnlyMemory<byte> state, long now, CancellationToken token)
    {
        var inserted = await ExecuteAsync(tx, "INSERT OR IGNORE INTO checkpoints (instance_id, checkpoint_id, state, created_at_ms) VALUES ($id, $cp, $state, $now)", token,
            ("$id", instanceId), ("$cp", checkpointId), ("$state", state.ToArray()), ("$now", now)).ConfigureAwait(false);
        if (inserted > 0)
        {
            await ExecuteAsync(tx, "UPDATE instances SET checkpoint_id = $cp WHERE instance_id = $id", token, ("$id", instanceId), ("$cp", checkpointId)).ConfigureAwait(false);
            return (false, []);
        }

        return (true, (await LoadCheckpointStateAsync(tx.Connection!, tx, instanceId, checkpointId, token).ConfigureAwait(false))!);
    }

    private static async Task<byte[]?> LoadCheckpointStateAsync(SqliteConnection connection, SqliteTransaction? tx, string instanceId, string checkpointId, CancellationToken token)
    {
        await using var command = Command(connection, "SELECT state FROM checkpoints WHERE instance_id = $id AND checkpoint_id = $cp", ("$id", instanceId), ("$cp", checkpointId));
        command.Transaction = tx;
        return await command.ExecuteScalarAsync(token).ConfigureAwait(false) as byte[];
    }

    private static async Task<PendingSignal?> LoadPendingSignalAsync(SqliteConnection connection, SqliteTransaction? tx, string instanceId, CancellationToken token)
    {
        await using var command = Command(connection, "SELECT signal_type, payload FROM pending_signals WHERE instance_id = $id AND acknowledged_at_ms IS NULL", ("$id", instanceId));
        command.Transaction = tx;
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false)
            ? new PendingSignal(ProtocolConversions.ToSignalKind(reader.GetInt32(0)), (byte[])reader.GetValue(1))
            : null;
    }

    private static Task<PendingSignal?> LoadPendingSignalAsync(SqliteConnection connection, string instanceId, CancellationToken token) =>
        LoadPendingSignalAsync(connection, null, instanceId, token);

    private static Task<PendingSignal?> LoadPendingSignalAsync(SqliteTransaction tx, string instanceId, CancellationToken token) =>
        LoadPendingSignalAsync(tx.Connection!, tx, instanceId, token);

    private static async Task<CustomSignal?> TakeCustomSignalAsync(SqliteTransaction tx, string instanceId, string checkpointId, CancellationToken token)
    {
        await using var command = Command(tx, "DELETE FROM custom_signals WHERE instance_id = $id AND checkpoint_id = $cp RETURNING payload", ("$id", instanceId), ("$cp", checkpointId));
        var payload = await command.ExecuteScalarAsync(token).ConfigureAwait(false);
        return payload is byte[] bytes ? new CustomSignal(checkpointId, bytes) : null;
    }

    private static Task InsertEventAsync(SqliteTransaction tx, string instanceId, string eventType, string? checkpointId, string? subtype, byte[]? payload, long timestampMs, CancellationToken token) =>
        ExecuteAsync(tx, "INSERT INTO events (instance_id, event_type, checkpoint_id, subtype, payload, created_at_ms) VALUES ($id, $type, $cp, $subtype, $payload, $at)", token,
            ("$id", instanceId), ("$type", eventType), ("$cp", (object?)checkpointId ?? DBNull.Value), ("$subtype", (object?)subtype ?? DBNull.Value),
            ("$payload", (object?)payload ?? DBNull.Value), ("$at", timestampMs));

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static SqliteCommand Command(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = Command(tx.Connection!, sql, parameters);
        command.Transaction = tx;
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteTransaction tx, string sql, CancellationToken token, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }
}

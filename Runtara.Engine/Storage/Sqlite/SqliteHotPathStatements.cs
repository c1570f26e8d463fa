using Microsoft.Data.Sqlite;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Protocol.Contracts;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>
/// The hot path's statements (<see cref="IHotPathStatements"/>) as native SQLite statements of the
/// writer connection, prepared once per connection with their parameter indexes resolved. The SQL is
/// the one the ADO.NET path runs (<see cref="SqlStoreWriter"/>), so both answer alike.
/// </summary>
internal sealed class SqliteHotPathStatements : IHotPathStatements
{
    private readonly SqliteStatement _lockWithSignals;
    private readonly int _lockId;
    private readonly int _lockCheckpoint;

    private readonly SqliteStatement _insertCheckpoint;
    private readonly int _insertId;
    private readonly int _insertCheckpointId;
    private readonly int _insertState;
    private readonly int _insertNow;

    private readonly SqliteStatement _setLast;
    private readonly int _setLastId;
    private readonly int _setLastCheckpoint;
    private readonly int _setLastAt;

    private readonly SqliteStatement _insertInstance;
    private readonly InstanceParameters _insertInstanceParameters;

    private readonly SqliteStatement _updateInstance;
    private readonly InstanceParameters _updateInstanceParameters;

    private readonly SqliteStatement _insertEvent;
    private readonly int _eventId;
    private readonly int _eventType;
    private readonly int _eventCheckpoint;
    private readonly int _eventPayload;
    private readonly int _eventSubtype;
    private readonly int _eventNow;
    private readonly int _eventClient;

    public SqliteHotPathStatements(SqliteConnection connection, DialectStatements statements)
    {
        try
        {
            _lockWithSignals = new SqliteStatement(connection, statements.LockInstanceWithSignals);
            _lockId = _lockWithSignals.Parameter("@id");
            _lockCheckpoint = _lockWithSignals.Parameter("@cp");

            _insertCheckpoint = new SqliteStatement(connection, SqlStoreWriter.InsertCheckpointIfAbsentSql);
            _insertId = _insertCheckpoint.Parameter("@id");
            _insertCheckpointId = _insertCheckpoint.Parameter("@cp");
            _insertState = _insertCheckpoint.Parameter("@state");
            _insertNow = _insertCheckpoint.Parameter("@now");

            _setLast = new SqliteStatement(connection, SqlStoreWriter.SetLastCheckpointSql);
            _setLastId = _setLast.Parameter("@id");
            _setLastCheckpoint = _setLast.Parameter("@cp");
            _setLastAt = _setLast.Parameter("@at");

            _insertInstance = new SqliteStatement(connection, SqlStoreWriter.InsertInstanceSql);
            _insertInstanceParameters = InstanceParameters.Of(_insertInstance, insert: true);

            _updateInstance = new SqliteStatement(connection, SqlStoreWriter.UpdateInstanceSql);
            _updateInstanceParameters = InstanceParameters.Of(_updateInstance, insert: false);

            _insertEvent = new SqliteStatement(connection, SqlStoreWriter.InsertEventSql);
            _eventId = _insertEvent.Parameter("@id");
            _eventType = _insertEvent.Parameter("@type");
            _eventCheckpoint = _insertEvent.Parameter("@cp");
            _eventPayload = _insertEvent.Parameter("@payload");
            _eventSubtype = _insertEvent.Parameter("@subtype");
            _eventNow = _insertEvent.Parameter("@now");
            _eventClient = _insertEvent.Parameter("@client");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public (InstanceStatus? Status, long Incarnation, PendingSignal? Signal, bool CustomSignalWaiting) GetInstanceAndSignals(string instanceId, string checkpointId)
    {
        var statement = _lockWithSignals;
        try
        {
            statement.Bind(_lockId, instanceId);
            statement.Bind(_lockCheckpoint, checkpointId);
            if (!statement.Step())
            {
                return (null, 0, null, false);
            }

            // Columns: status, signal_type, payload, created_at, custom signal waiting, incarnation.
            var status = InstanceStatusNames.ParseStorageName(statement.Text(0));
            var signal = statement.IsNull(1) || SignalKindExtensions.TryParseStorageName(statement.Text(1)) is not { } kind
                ? null
                : new PendingSignal(instanceId, kind, statement.IsNull(2) ? [] : statement.Blob(2), statement.Int64(3));
            return (status, statement.Int64(5), signal, statement.Int64(4) != 0);
        }
        finally
        {
            statement.Reset();
        }
    }

    public bool InsertCheckpointIfAbsent(string instanceId, string checkpointId, byte[] state, long nowMs)
    {
        var statement = _insertCheckpoint;
        try
        {
            statement.Bind(_insertId, instanceId);
            statement.Bind(_insertCheckpointId, checkpointId);
            statement.Bind(_insertState, state);
            statement.Bind(_insertNow, nowMs);
            return statement.Execute() == 1;
        }
        finally
        {
            statement.Reset();
        }
    }

    public void SetLastCheckpoint(string instanceId, string checkpointId, long atMs)
    {
        var statement = _setLast;
        try
        {
            statement.Bind(_setLastId, instanceId);
            statement.Bind(_setLastCheckpoint, checkpointId);
            statement.Bind(_setLastAt, atMs);
            statement.Execute();
        }
        finally
        {
            statement.Reset();
        }
    }

    public void InsertInstance(InstanceRecord instance) => WriteInstance(_insertInstance, _insertInstanceParameters, instance);

    public void UpdateInstance(InstanceRecord instance) => WriteInstance(_updateInstance, _updateInstanceParameters, instance);

    public void InsertEvent(NewEvent instanceEvent)
    {
        var statement = _insertEvent;
        try
        {
            statement.Bind(_eventId, instanceEvent.InstanceId);
            statement.Bind(_eventType, instanceEvent.Kind.ToStorageName());
            statement.Bind(_eventCheckpoint, instanceEvent.CheckpointId);
            statement.Bind(_eventPayload, instanceEvent.Payload is { Length: > 0 } payload ? payload : null);
            statement.Bind(_eventSubtype, instanceEvent.Subtype);
            statement.Bind(_eventNow, instanceEvent.CreatedAtMs);
            statement.Bind(_eventClient, instanceEvent.ClientTimestampMs);
            statement.Execute();
        }
        finally
        {
            statement.Reset();
        }
    }

    public void Dispose()
    {
        _lockWithSignals?.Dispose();
        _insertCheckpoint?.Dispose();
        _setLast?.Dispose();
        _insertInstance?.Dispose();
        _updateInstance?.Dispose();
        _insertEvent?.Dispose();
    }

    private static void WriteInstance(SqliteStatement statement, InstanceParameters parameters, InstanceRecord instance)
    {
        try
        {
            parameters.Bind(statement, instance);
            statement.Execute();
        }
        finally
        {
            statement.Reset();
        }
    }

    /// <summary>The indexes of an instance row's parameters in one statement; the tenant and creation time only in the insert (0: not bound).</summary>
    private readonly record struct InstanceParameters(
        int Id, int Tenant, int Status, int Checkpoint, int Created, int Started, int Finished, int Activity, int Sleep, int Lease, int Output, int Error, int Waiting, int Incarnation)
    {
        public static InstanceParameters Of(SqliteStatement statement, bool insert) => new(
            statement.Parameter("@id"),
            insert ? statement.Parameter("@tenant") : 0,
            statement.Parameter("@status"),
            statement.Parameter("@cp"),
            insert ? statement.Parameter("@created") : 0,
            statement.Parameter("@started"),
            statement.Parameter("@finished"),
            statement.Parameter("@activity"),
            statement.Parameter("@sleep"),
            statement.Parameter("@lease"),
            statement.Parameter("@output"),
            statement.Parameter("@error"),
            statement.Parameter("@waiting"),
            statement.Parameter("@incarnation"));

        /// <summary>Binds the columns <c>SqlStoreWriter.BindInstance</c> binds, and the insert's two more.</summary>
        public void Bind(SqliteStatement statement, InstanceRecord instance)
        {
            statement.Bind(Id, instance.InstanceId);
            if (Tenant > 0)
            {
                statement.Bind(Tenant, instance.TenantId);
                statement.Bind(Created, instance.CreatedAtMs);
            }

            statement.Bind(Status, instance.Status.ToStorageName());
            statement.Bind(Checkpoint, instance.CheckpointId);
            statement.Bind(Started, instance.StartedAtMs);
            statement.Bind(Finished, instance.FinishedAtMs);
            statement.Bind(Activity, instance.LastActivityMs);
            statement.Bind(Sleep, instance.SleepUntilMs);
            statement.Bind(Lease, instance.WakeLeaseUntilMs);
            statement.Bind(Output, instance.Output);
            statement.Bind(Error, instance.Error);
            statement.Bind(Waiting, instance.WaitingFor);
            statement.Bind(Incarnation, instance.Incarnation);
        }
    }
}

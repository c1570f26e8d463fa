using Microsoft.Data.Sqlite;
using Runtara.Engine.Signals;
using Runtara.Protocol.Contracts;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>
/// The checkpoint path's three statements as native SQLite statements of the writer connection,
/// prepared once per connection with their parameter indexes resolved. The SQL is the one the
/// ADO.NET path runs (<see cref="SqlStoreWriter"/>), so both answer alike.
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

    public void Dispose()
    {
        _lockWithSignals?.Dispose();
        _insertCheckpoint?.Dispose();
        _setLast?.Dispose();
    }
}

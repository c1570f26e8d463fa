using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>
/// One statement of a connection, prepared once and bound by parameter index, stepped and reset
/// through the native API: no per-execution objects. Errors are thrown as <see cref="SqliteException"/>,
/// as Microsoft.Data.Sqlite throws them, so callers handle both paths alike. Not thread-safe: it
/// belongs to the writer connection.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    // Ids and keys are short: their UTF-8 fits on the stack; longer text rents a buffer.
    private const int StackTextBytes = 512;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, _db);
        }

        _statement = statement!;
    }

    /// <summary>The index of a named parameter (<c>@name</c>), resolved once when the owner prepares the statement.</summary>
    public int Parameter(string name)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        return index > 0 ? index : throw new ArgumentException($"The statement has no parameter '{name}'.", nameof(name));
    }

    /// <summary>Binds text; null binds NULL.</summary>
    public void Bind(int index, string? value)
    {
        if (value is null)
        {
            BindNull(index);
            return;
        }

        if (value.Length == 0)
        {
            // An empty span would be bound as a null pointer, which SQLite stores as NULL.
            Check(raw.sqlite3_bind_text(_statement, index, string.Empty));
            return;
        }

        var most = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = most > StackTextBytes ? ArrayPool<byte>.Shared.Rent(most) : null;
        try
        {
            Span<byte> buffer = rented ?? stackalloc byte[StackTextBytes];
            var length = Encoding.UTF8.GetBytes(value, buffer);

            // SQLite copies the text (SQLITE_TRANSIENT), so the buffer is free when this returns.
            Check(raw.sqlite3_bind_text(_statement, index, buffer[..length]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Binds an integer; null binds NULL.</summary>
    public void Bind(int index, long? value)
    {
        if (value is { } number)
        {
            Bind(index, number);
        }
        else
        {
            BindNull(index);
        }
    }

    /// <summary>Binds a blob; null binds NULL, an empty array a zero-length blob (as Microsoft.Data.Sqlite does).</summary>
    public void Bind(int index, byte[]? value)
    {
        if (value is null)
        {
            BindNull(index);
        }
        else
        {
            Bind(index, value.AsSpan());
        }
    }

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, index));

    public void Bind(int index, ReadOnlySpan<byte> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(_statement, index, 0) : raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Runs the statement to its first row: true when there is one (read it with the column getters before <see cref="Reset"/>).</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }

        return false;
    }

    /// <summary>Runs a statement without rows; returns the rows it changed.</summary>
    public int Execute()
    {
        Step();
        return raw.sqlite3_changes(_db);
    }

    /// <summary>Makes the statement ready for its next execution (releases its read of the database); every parameter is bound again then.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    public byte[] Blob(int column) => raw.sqlite3_column_blob(_statement, column).ToArray();

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}

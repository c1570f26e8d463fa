using Microsoft.Data.Sqlite;
using Runtara.Engine.Storage.Sqlite;

namespace Runtara.Engine.Tests.Storage;

/// <summary>The native statements of the SQLite checkpoint path bind, read and fail as Microsoft.Data.Sqlite's commands do.</summary>
public sealed class SqliteStatementTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public SqliteStatementTests()
    {
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB, n INTEGER)";
        create.ExecuteNonQuery();
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("ünïcødé ✓ 𝄞")]
    [InlineData(null)] // longer than the stack buffer: a rented one
    public void Text_and_blobs_round_trip_and_empty_values_are_not_null(string? key)
    {
        key ??= new string('é', 600);
        using var insert = new SqliteStatement(_connection, "INSERT INTO t (k, v, n) VALUES (@k, @v, @n)");
        insert.Bind(insert.Parameter("@k"), key);
        insert.Bind(insert.Parameter("@v"), ReadOnlySpan<byte>.Empty);
        insert.Bind(insert.Parameter("@n"), long.MinValue);
        Assert.Equal(1, insert.Execute());
        insert.Reset();

        using var select = new SqliteStatement(_connection, "SELECT k, v, n, typeof(v) FROM t WHERE k = @k");
        select.Bind(select.Parameter("@k"), key);
        Assert.True(select.Step());
        Assert.Equal(key, select.Text(0));
        Assert.False(select.IsNull(1));
        Assert.Empty(select.Blob(1));
        Assert.Equal(long.MinValue, select.Int64(2));
        Assert.Equal("blob", select.Text(3));
        Assert.False(select.Step());
        select.Reset();
    }

    [Fact]
    public void Null_values_bind_NULL()
    {
        using var insert = new SqliteStatement(_connection, "INSERT INTO t (k, v, n) VALUES ('nulls', @v, @n)");
        insert.Bind(insert.Parameter("@v"), (byte[]?)null);
        insert.Bind(insert.Parameter("@n"), (long?)null);
        insert.Execute();
        insert.Reset();
        using var text = new SqliteStatement(_connection, "UPDATE t SET k = @k WHERE k = 'none'");
        text.Bind(text.Parameter("@k"), (string?)null); // no row: binding alone must work
        Assert.Equal(0, text.Execute());
        text.Reset();

        using var select = new SqliteStatement(_connection, "SELECT v IS NULL, n IS NULL FROM t WHERE k = 'nulls'");
        Assert.True(select.Step());
        Assert.Equal(1, select.Int64(0));
        Assert.Equal(1, select.Int64(1));
        select.Reset();
    }

    [Fact]
    public void A_failure_is_a_SqliteException_and_the_statement_runs_again_after_reset()
    {
        using var insert = new SqliteStatement(_connection, "INSERT INTO t (k, v, n) VALUES (@k, @v, 0)");
        var k = insert.Parameter("@k");
        var v = insert.Parameter("@v");
        insert.Bind(k, "a");
        insert.Bind(v, [1, 2, 3]);
        insert.Execute();
        insert.Reset();

        insert.Bind(k, "a");
        insert.Bind(v, [4]);
        var duplicate = Assert.Throws<SqliteException>(() => insert.Execute());
        Assert.Equal(19, duplicate.SqliteErrorCode); // SQLITE_CONSTRAINT
        insert.Reset();

        insert.Bind(k, "b");
        insert.Bind(v, [5]);
        Assert.Equal(1, insert.Execute());
        insert.Reset();

        using var count = _connection.CreateCommand();
        count.CommandText = "SELECT group_concat(k) FROM (SELECT k FROM t ORDER BY k)";
        Assert.Equal("a,b", count.ExecuteScalar());
    }

    [Fact]
    public void Bad_sql_and_unknown_parameters_are_refused_when_prepared()
    {
        Assert.Throws<SqliteException>(() => new SqliteStatement(_connection, "SELECT nope FROM nowhere"));
        using var statement = new SqliteStatement(_connection, "SELECT k FROM t WHERE k = @k");
        Assert.Throws<ArgumentException>(() => statement.Parameter("@missing"));
    }

    public void Dispose() => _connection.Dispose();
}

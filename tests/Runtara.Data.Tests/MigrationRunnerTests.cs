using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using Runtara.Data.Tests.Infrastructure;

namespace Runtara.Data.Tests;

/// <summary>
/// One suite for the migration runner, run against SQLite and PostgreSQL: order, idempotence,
/// rollback of a failing step, checksum checks, and the upgrade of history tables written by the
/// runners that came before it. Each test has its own database.
/// </summary>
public abstract class MigrationRunnerTests
{
    protected const int Timeout = 60_000;

    protected static readonly MigrationHistoryTable History = new("schema_migrations");

    protected static readonly Migration[] Schema =
    [
        new(1, "items", "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL);"),
        new(2, "first item", "INSERT INTO items (id, label) VALUES (1, 'one');"),
        new(3, "item notes", "ALTER TABLE items ADD COLUMN note TEXT; INSERT INTO items (id, label, note) VALUES (2, 'two', 'after 3');"),
    ];

    protected abstract MigrationDialect Dialect { get; }

    /// <summary>A new empty database; each call gives another connection to the same one.</summary>
    protected abstract Task<Func<Task<DbConnection>>> NewDatabaseAsync();

    protected abstract Task<bool> TableExistsAsync(DbConnection connection, string table);

    [SkippableFact(Timeout = Timeout)]
    public async Task Applies_migrations_in_order_each_recorded_with_its_checksum()
    {
        var open = await NewDatabaseAsync();
        await using var connection = await open();
        var logger = new RecordingLogger();

        var applied = await new MigrationRunner(Dialect, History, Schema, logger).RunAsync(connection, default);

        Assert.Equal(3, applied);
        Assert.Equal([(1L, "one", null), (2L, "two", "after 3")], await ItemsAsync(connection));
        var history = await HistoryAsync(connection, History);
        Assert.Equal(Schema.Select(m => (m.Version, m.Name, (string?)m.Checksum)), history.Select(h => (h.Version, h.Name, h.Checksum)));
        var logged = logger.Entries.Where(e => e.EventId.Name == "MigrationApplied").ToList();
        Assert.Equal([1, 2, 3], logged.Select(e => (int)e.Values["Version"]!));
        Assert.All(logged, e => Assert.Equal(2100, e.EventId.Id));
        Assert.All(logged, e => Assert.Equal(Dialect.Name, e.Values["Backend"]));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Rerun_applies_nothing_and_a_new_migration_alone_is_applied_later()
    {
        var open = await NewDatabaseAsync();
        await using var connection = await open();
        await new MigrationRunner(Dialect, History, Schema).RunAsync(connection, default);

        Assert.Equal(0, await new MigrationRunner(Dialect, History, Schema).RunAsync(connection, default));
        Migration[] next = [.. Schema, new(4, "third item", "INSERT INTO items (id, label) VALUES (3, 'three');")];
        Assert.Equal(1, await new MigrationRunner(Dialect, History, next).RunAsync(connection, default));

        Assert.Equal(3, (await ItemsAsync(connection)).Count);
        Assert.Equal([1, 2, 3, 4], (await HistoryAsync(connection, History)).Select(h => h.Version));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Failing_migration_is_rolled_back_entirely_and_the_ones_before_it_stay()
    {
        var open = await NewDatabaseAsync();
        await using var connection = await open();
        Migration[] broken =
        [
            Schema[0],
            new(2, "half done", "CREATE TABLE half_done (x INTEGER); INSERT INTO items (id, label) VALUES (7, 'seven'); INSERT INTO no_such_table (x) VALUES (1);"),
        ];

        await Assert.ThrowsAnyAsync<DbException>(() => new MigrationRunner(Dialect, History, broken).RunAsync(connection, default));

        Assert.False(await TableExistsAsync(connection, "half_done"));
        Assert.Empty(await ItemsAsync(connection));
        Assert.Equal([1], (await HistoryAsync(connection, History)).Select(h => h.Version));

        // Fixed in the code, the step applies on the next start.
        Assert.Equal(2, await new MigrationRunner(Dialect, History, Schema).RunAsync(connection, default));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Edited_applied_migration_is_refused_naming_its_version_and_nothing_later_applies()
    {
        var open = await NewDatabaseAsync();
        await using var connection = await open();
        await new MigrationRunner(Dialect, History, Schema[..2]).RunAsync(connection, default);
        Migration[] edited = [Schema[0], Schema[1] with { Sql = "INSERT INTO items (id, label) VALUES (1, 'uno');" }, Schema[2]];

        var refused = await Assert.ThrowsAsync<MigrationChecksumMismatchException>(() => new MigrationRunner(Dialect, History, edited).RunAsync(connection, default));

        Assert.Equal(2, refused.Version);
        Assert.Equal(History.Name, refused.HistoryTable);
        Assert.Equal(Schema[1].Checksum, refused.RecordedChecksum);
        Assert.Equal(edited[1].Checksum, refused.ExpectedChecksum);
        Assert.Equal([1, 2], (await HistoryAsync(connection, History)).Select(h => h.Version));
    }

    [SkippableTheory(Timeout = Timeout)]
    [InlineData("schema_migrations", "applied_at")]
    [InlineData("environment_migrations", "applied_at_ms")]
    public async Task Legacy_history_without_checksums_is_upgraded_in_place(string table, string appliedAt)
    {
        var open = await NewDatabaseAsync();
        await using var connection = await open();
        // As the core's and the environment's runners left it: no checksum column, versions 1 and 2 applied.
        await ExecuteAsync(connection, $"CREATE TABLE {table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, {appliedAt} BIGINT NOT NULL)");
        await ExecuteAsync(connection, Schema[0].Sql + Schema[1].Sql);
        await ExecuteAsync(connection, $"INSERT INTO {table} (version, name, {appliedAt}) VALUES (1, 'items', 1700000000000), (2, 'first item', 1700000000001)");
        var logger = new RecordingLogger();
        var history = new MigrationHistoryTable(table, appliedAt);

        // Version 1 again would fail (CREATE TABLE without IF NOT EXISTS): only 3 may run.
        Assert.Equal(1, await new MigrationRunner(Dialect, history, Schema, logger).RunAsync(connection, default));

        var rows = await HistoryAsync(connection, history);
        Assert.Equal(Schema.Select(m => (m.Version, (string?)m.Checksum)), rows.Select(r => (r.Version, r.Checksum)));
        Assert.Equal(1_700_000_000_000, rows[0].AppliedAtMs);
        var recorded = Assert.Single(logger.Entries, e => e.EventId.Name == "MigrationChecksumsRecorded");
        Assert.Equal(2, recorded.Values["Count"]);

        // Now recorded, an edit of a legacy step is caught like any other.
        Migration[] edited = [Schema[0] with { Sql = "CREATE TABLE items (id INTEGER PRIMARY KEY);" }, Schema[1], Schema[2]];
        var refused = await Assert.ThrowsAsync<MigrationChecksumMismatchException>(() => new MigrationRunner(Dialect, history, edited).RunAsync(connection, default));
        Assert.Equal(1, refused.Version);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Version_the_build_does_not_know_is_logged_and_left_alone()
    {
        var open = await NewDatabaseAsync();
        await using var connection = await open();
        await new MigrationRunner(Dialect, History, Schema).RunAsync(connection, default);
        var logger = new RecordingLogger();

        Assert.Equal(0, await new MigrationRunner(Dialect, History, Schema[..2], logger).RunAsync(connection, default));

        var unknown = Assert.Single(logger.Entries, e => e.EventId.Name == "UnknownMigrationApplied");
        Assert.Equal(LogLevel.Warning, unknown.Level);
        Assert.Equal(3, unknown.Values["Version"]);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Runners_on_two_connections_at_once_apply_each_migration_once()
    {
        var open = await NewDatabaseAsync();
        var connections = new List<DbConnection>();
        for (var i = 0; i < 4; i++)
        {
            connections.Add(await open());
        }

        // Each step would fail if it ran twice (CREATE TABLE without IF NOT EXISTS; the primary key).
        Migration[] steps =
        [
            new(1, "log", "CREATE TABLE applied_log (version INTEGER PRIMARY KEY);"),
            .. Enumerable.Range(2, 5).Select(v => new Migration(v, $"step {v}",
                $"CREATE TABLE step_{v} (x INTEGER); INSERT INTO applied_log (version) VALUES ({v});")),
        ];
        try
        {
            var applied = await Task.WhenAll(connections.Select(c => Task.Run(() => new MigrationRunner(Dialect, History, steps).RunAsync(c, default))));

            Assert.Equal(steps.Length, applied.Sum());
            Assert.Equal(5, await ScalarAsync(connections[0], "SELECT COUNT(*) FROM applied_log"));
            Assert.Equal(steps.Select(s => s.Version), (await HistoryAsync(connections[0], History)).Select(h => h.Version));
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    protected static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    protected static async Task<long> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task<List<(long Id, string Label, string? Note)>> ItemsAsync(DbConnection connection)
    {
        var items = new List<(long, string, string?)>();
        if (!await TableExistsAsync(connection, "items"))
        {
            return items;
        }

        var hasNote = await HasColumnAsync(connection, "items", "note");
        await using var command = connection.CreateCommand();
        command.CommandText = hasNote ? "SELECT id, label, note FROM items ORDER BY id" : "SELECT id, label, NULL FROM items ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            items.Add((Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return items;
    }

    private async Task<bool> HasColumnAsync(DbConnection connection, string table, string column) =>
        await ScalarAsync(connection, Dialect.ColumnExistsSql(table, column)) > 0;

    private static async Task<List<(int Version, string Name, long AppliedAtMs, string? Checksum)>> HistoryAsync(DbConnection connection, MigrationHistoryTable history)
    {
        var rows = new List<(int, string, long, string?)>();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT version, name, {history.AppliedAtColumn}, checksum FROM {history.Name} ORDER BY version";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1),
                Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return rows;
    }
}

public sealed class SqliteMigrationRunnerTests : MigrationRunnerTests, IDisposable
{
    private readonly TempDirectory _directory = new("runtara-data");

    protected override MigrationDialect Dialect => MigrationDialect.Sqlite;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    protected override Task<Func<Task<DbConnection>>> NewDatabaseAsync()
    {
        var path = Path.Combine(_directory.Path, $"{Guid.NewGuid():N}.db");
        Func<Task<DbConnection>> open = () => OpenAsync(path, busyTimeoutSeconds: 30);
        return Task.FromResult(open);
    }

    protected override async Task<bool> TableExistsAsync(DbConnection connection, string table) =>
        await ScalarAsync(connection, $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'") > 0;

    [Fact(Timeout = Timeout)]
    public async Task Migration_transaction_holds_the_write_lock_from_its_start()
    {
        var open = await NewDatabaseAsync();
        await using var first = await open();
        await ExecuteAsync(first, "CREATE TABLE t (x INTEGER)");
        var path = ((SqliteConnection)first).DataSource;
        await using var second = await OpenAsync(path, busyTimeoutSeconds: 1);

        // BEGIN IMMEDIATE: the lock is held before the transaction writes anything.
        await using (var transaction = await Dialect.BeginAsync(first, History, default))
        {
            var busy = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(second, "INSERT INTO t (x) VALUES (1)"));
            Assert.Equal(SQLitePCL.raw.SQLITE_BUSY, busy.SqliteErrorCode);
        }

        await ExecuteAsync(second, "INSERT INTO t (x) VALUES (1)");
    }

    private static async Task<DbConnection> OpenAsync(string path, int busyTimeoutSeconds)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = busyTimeoutSeconds }.ToString());
        await connection.OpenAsync();
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;");
        return connection;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationRunnerTests(PostgresFixture fixture) : MigrationRunnerTests
{
    protected override MigrationDialect Dialect => MigrationDialect.PostgreSql;

    protected override async Task<Func<Task<DbConnection>>> NewDatabaseAsync()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var connectionString = await fixture.NewDatabaseAsync();
        return async () =>
        {
            var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            return connection;
        };
    }

    protected override async Task<bool> TableExistsAsync(DbConnection connection, string table) =>
        await ScalarAsync(connection, $"SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{table}'") > 0;

    [Fact]
    public void History_tables_get_their_own_advisory_lock_key()
    {
        Assert.Equal(MigrationDialect.LockKey("schema_migrations"), MigrationDialect.LockKey("SCHEMA_MIGRATIONS"));
        Assert.NotEqual(MigrationDialect.LockKey("schema_migrations"), MigrationDialect.LockKey("environment_migrations"));
    }
}

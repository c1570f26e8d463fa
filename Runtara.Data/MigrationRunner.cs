using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Runtara.Data;

/// <summary>
/// Applies a store's migrations at start-up: in version order, each in its own transaction together
/// with its history row, so a failing migration leaves nothing behind and the ones before it stay
/// applied. Every transaction excludes other runners (<see cref="MigrationDialect"/>), so several
/// processes starting against one database apply each migration once. Applied migrations are
/// checked against the code by checksum; a difference stops the start with
/// <see cref="MigrationChecksumMismatchException"/>.
/// </summary>
public sealed class MigrationRunner
{
    private const string ChecksumColumn = "checksum";

    private readonly MigrationDialect _dialect;
    private readonly MigrationHistoryTable _history;
    private readonly Dictionary<int, string> _checksums;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <param name="dialect">The database's dialect.</param>
    /// <param name="history">The history table (existing databases keep theirs).</param>
    /// <param name="migrations">Versions 1, 2, 3, … in ascending order without gaps.</param>
    /// <param name="logger">The owning store's logger; applied migrations are logged through it.</param>
    /// <param name="timeProvider">Clock of the recorded applied times; the system clock by default.</param>
    public MigrationRunner(MigrationDialect dialect, MigrationHistoryTable history, IEnumerable<Migration> migrations, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(migrations);
        history.Validate();
        _dialect = dialect;
        _history = history;
        Migrations = Validate(migrations);
        _checksums = Migrations.ToDictionary(m => m.Version, m => m.Checksum);
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The migrations, in the order they apply.</summary>
    public IReadOnlyList<Migration> Migrations { get; }

    /// <summary>
    /// Brings the database on <paramref name="connection"/> (open, with the store's settings applied)
    /// to the latest version. Returns how many migrations this call applied.
    /// </summary>
    /// <exception cref="MigrationChecksumMismatchException">An applied migration differs from this build's.</exception>
    public async Task<int> RunAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var applied = await PrepareHistoryAsync(connection, cancellationToken).ConfigureAwait(false);
        var count = 0;
        foreach (var migration in Migrations)
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }

            if (await ApplyAsync(connection, migration, cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// One transaction: creates the history table, adds the checksum column to an older one, records
    /// the checksums of rows written before there was one, and checks the rest. Returns the applied versions.
    /// </summary>
    private async Task<HashSet<int>> PrepareHistoryAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var table = _history.Name;
        await using var transaction = await _dialect.BeginAsync(connection, _history, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction,
            $"CREATE TABLE IF NOT EXISTS {table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, {_history.AppliedAtColumn} {_dialect.Int64Type} NOT NULL, {ChecksumColumn} TEXT)",
            cancellationToken).ConfigureAwait(false);

        // Tables created before checksums were kept: a nullable column, filled in below. Adding it is
        // safe next to an older build, which names its columns when it inserts.
        if (await ScalarAsync(connection, transaction, _dialect.ColumnExistsSql(table, ChecksumColumn), cancellationToken).ConfigureAwait(false) == 0)
        {
            await ExecuteAsync(connection, transaction, $"ALTER TABLE {table} ADD COLUMN {ChecksumColumn} TEXT", cancellationToken).ConfigureAwait(false);
        }

        var rows = new List<(int Version, string? Checksum)>();
        await using (var command = Command(connection, transaction, $"SELECT version, {ChecksumColumn} FROM {table} ORDER BY version"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }

        var applied = new HashSet<int>();
        var recorded = 0;
        foreach (var (version, checksum) in rows)
        {
            applied.Add(version);
            if (!_checksums.ContainsKey(version))
            {
                Log.UnknownMigrationApplied(_logger, table, version);
            }
            else if (await CheckAsync(connection, transaction, version, checksum, cancellationToken).ConfigureAwait(false))
            {
                recorded++;
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (recorded > 0)
        {
            Log.MigrationChecksumsRecorded(_logger, recorded, table);
        }

        return applied;
    }

    /// <summary>
    /// Applies one migration unless another runner did meanwhile (checked under the lock). Exceptions
    /// from the migration's SQL pass through unwrapped, so callers still see the driver's error.
    /// </summary>
    private async Task<bool> ApplyAsync(DbConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        var table = _history.Name;
        await using var transaction = await _dialect.BeginAsync(connection, _history, cancellationToken).ConfigureAwait(false);
        if (await ReadRecordedAsync(connection, transaction, migration.Version, cancellationToken).ConfigureAwait(false) is (true, var checksum))
        {
            await CheckAsync(connection, transaction, migration.Version, checksum, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }

        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
        await using (var record = Command(connection, transaction,
            $"INSERT INTO {table} (version, name, {_history.AppliedAtColumn}, {ChecksumColumn}) VALUES (@version, @name, @applied, @checksum)"))
        {
            Parameter(record, "version", DbType.Int32, migration.Version);
            Parameter(record, "name", DbType.String, migration.Name);
            Parameter(record, "applied", DbType.Int64, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
            Parameter(record, "checksum", DbType.String, migration.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Log.MigrationApplied(_logger, _dialect.Name, migration.Version, migration.Name);
        return true;
    }

    /// <summary>Whether <paramref name="version"/> is recorded, and its checksum.</summary>
    private async Task<(bool Found, string? Checksum)> ReadRecordedAsync(DbConnection connection, DbTransaction transaction, int version, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {ChecksumColumn} FROM {_history.Name} WHERE version = @version");
        Parameter(command, "version", DbType.Int32, version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (true, reader.IsDBNull(0) ? null : reader.GetString(0))
            : (false, null);
    }

    /// <summary>
    /// Checks a recorded migration against the code. A row without a checksum (written before they
    /// were kept) gets the code's: the schema it made is trusted as it was before. True when filled in.
    /// </summary>
    private async Task<bool> CheckAsync(DbConnection connection, DbTransaction transaction, int version, string? recorded, CancellationToken cancellationToken)
    {
        var expected = _checksums[version];
        if (recorded is null)
        {
            await using var update = Command(connection, transaction, $"UPDATE {_history.Name} SET {ChecksumColumn} = @checksum WHERE version = @version");
            Parameter(update, "checksum", DbType.String, expected);
            Parameter(update, "version", DbType.Int32, version);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        return string.Equals(recorded, expected, StringComparison.OrdinalIgnoreCase)
            ? false
            : throw new MigrationChecksumMismatchException(_history.Name, version, recorded, expected);
    }

    private static List<Migration> Validate(IEnumerable<Migration> migrations)
    {
        var list = migrations.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var migration = list[i] ?? throw new ArgumentException($"Migration at position {i} is null.", nameof(migrations));
            if (migration.Version != i + 1)
            {
                throw new ArgumentException(
                    $"Migration versions must be 1, 2, 3, … in ascending order without gaps; position {i} has version {migration.Version}, expected {i + 1}.",
                    nameof(migrations));
            }

            if (string.IsNullOrWhiteSpace(migration.Name) || string.IsNullOrWhiteSpace(migration.Sql))
            {
                throw new ArgumentException($"Migration {migration.Version} needs a name and SQL.", nameof(migrations));
            }
        }

        return list;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> ScalarAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

#pragma warning disable CA2100 // Compiled-in migration SQL and validated identifiers; values are parameters.
    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
#pragma warning restore CA2100

    private static void Parameter(DbCommand command, string name, DbType type, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

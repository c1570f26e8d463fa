using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Runtara.Data;

namespace Runtara.Environment.Storage.Sqlite;

/// <summary>
/// SQLite store (the default): one file, WAL journal, <c>synchronous=FULL</c> so a committed run or
/// image survives power loss, and a busy timeout so the workers and RPCs share it without errors.
/// </summary>
public sealed class SqliteEnvironmentStore : SqlEnvironmentStore
{
    private readonly string _connectionString;

    /// <param name="path">The database file; created with its directory when absent.</param>
    /// <param name="logger">Where applied migrations are logged; none by default.</param>
    public SqliteEnvironmentStore(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Migrations = new MigrationRunner(MigrationDialect.Sqlite, EnvironmentSchema.History, EnvironmentSchema.Migrations("BLOB"), logger);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    protected override MigrationRunner Migrations { get; }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

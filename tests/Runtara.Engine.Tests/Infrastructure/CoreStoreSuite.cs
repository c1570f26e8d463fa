using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Engine.Storage;
using Runtara.Engine.Storage.Postgres;
using Runtara.Engine.Storage.Sqlite;

namespace Runtara.Engine.Tests.Infrastructure;

/// <summary>
/// A test suite over one <see cref="ICoreStore"/>, run once per backend: the store is opened before
/// each test (unless the backend is skipped) and disposed after it.
/// </summary>
public abstract class CoreStoreSuite : IAsyncLifetime
{
    private ICoreStore? _store;

    protected static StoreSettings Settings { get; } = new(MaxBatchSize: 512, WriteQueueCapacity: 10_000);

    protected ICoreStore Store => _store ?? throw new InvalidOperationException("The store is not open.");

    protected abstract string? SkipReason { get; }

    public async Task InitializeAsync()
    {
        if (SkipReason is null)
        {
            _store = await OpenAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    /// <summary>Opens (and initializes) another store over the same database.</summary>
    protected abstract Task<ICoreStore> OpenAsync();

    /// <summary>An initialized SQLite store on <paramref name="path"/>.</summary>
    protected static async Task<ICoreStore> OpenSqliteAsync(string path)
    {
        var store = new SqliteCoreStore(path, Settings, NullLogger<SqliteCoreStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>An initialized PostgreSQL store with several writers side by side, as the core runs them (racing writers land on different connections).</summary>
    protected static async Task<ICoreStore> OpenPostgresAsync(string connectionString)
    {
        var store = new PostgresCoreStore(connectionString, Settings with { Writers = 4 }, NullLogger<PostgresCoreStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }
}

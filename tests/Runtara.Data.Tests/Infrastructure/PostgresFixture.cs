namespace Runtara.Data.Tests.Infrastructure;

/// <summary>The run's throwaway PostgreSQL cluster, for the "data-postgres" collection; each test makes its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    /// <summary>Why PostgreSQL cannot run here (tests are then skipped), or null.</summary>
    public string? SkipReason => PostgresCluster.SkipReason;

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException(SkipReason ?? "The cluster is not started.");

    public async Task InitializeAsync()
    {
        if (SkipReason is null)
        {
            _cluster = await PostgresCluster.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A new empty database; returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"m{Guid.NewGuid():N}";
        await Cluster.CreateDatabaseAsync(name);
        return Cluster.ConnectionString(name);
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "data-postgres";
}

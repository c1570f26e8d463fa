namespace Runtara.Engine.Tests.Infrastructure;

/// <summary>The run's throwaway PostgreSQL cluster with one database, for the "engine-postgres" collection.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    /// <summary>Why PostgreSQL cannot run here (tests are then skipped), or null.</summary>
    public string? SkipReason => PostgresCluster.SkipReason;

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException(SkipReason ?? "The cluster is not started.");

    /// <summary>Connection string of the tests' database.</summary>
    public string ConnectionString => Cluster.ConnectionString("runtara");

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _cluster = await PostgresCluster.StartAsync();
        await _cluster.CreateDatabaseAsync("runtara");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "engine-postgres";
}

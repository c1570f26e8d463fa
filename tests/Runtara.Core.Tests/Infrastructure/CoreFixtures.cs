using Runtara.Testing;

namespace Runtara.Core.Tests.Infrastructure;

/// <summary>A running core shared by a test collection, on one storage backend.</summary>
public interface ICoreFixture
{
    /// <summary>"sqlite" or "postgresql".</summary>
    string Backend { get; }

    /// <summary>Why the backend cannot run here (tests are then skipped), or null.</summary>
    string? SkipReason { get; }

    CoreHost Core { get; }
}

/// <summary>Settings every shared test core uses: a 1 s in-process sleep threshold so durable sleeps are quick to test.</summary>
public static class TestCoreSettings
{
    public static readonly TimeSpan SleepThreshold = TimeSpan.FromSeconds(1);

    public static Dictionary<string, string?> Shared() => new()
    {
        ["Runtara:Core:InProcessSleepThreshold"] = SleepThreshold.ToString(),
        ["Runtara:Core:ActivityWriteInterval"] = "00:00:00",
        ["Runtara:Core:MaxCheckpointSize"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>One in-process core on a SQLite file for the "sqlite" collection.</summary>
public sealed class SqliteCoreFixture : ICoreFixture, IAsyncLifetime
{
    private readonly TempDirectory _directory = new("runtara-core-sqlite");
    private CoreHost? _core;

    public string Backend => "sqlite";

    public string? SkipReason => null;

    public CoreHost Core => _core ?? throw new InvalidOperationException("The core is not started.");

    public async Task InitializeAsync() => _core = await CoreHost.StartAsync(_directory.Path, settings: TestCoreSettings.Shared());

    public async Task DisposeAsync()
    {
        if (_core is not null)
        {
            await _core.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>The run's throwaway PostgreSQL cluster and an in-process core on it, for the "postgres" collection.</summary>
public sealed class PostgresFixture : ICoreFixture, IAsyncLifetime
{
    private readonly TempDirectory _directory = new("runtara-core-pg");
    private PostgresCluster? _cluster;
    private CoreHost? _core;

    public string Backend => "postgresql";

    public string? SkipReason => PostgresCluster.SkipReason;

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException(SkipReason ?? "The cluster is not started.");

    public CoreHost Core => _core ?? throw new InvalidOperationException(SkipReason ?? "The core is not started.");

    /// <summary>Connection string of the database the shared core uses.</summary>
    public string ConnectionString => Cluster.ConnectionString("runtara");

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _cluster = await PostgresCluster.StartAsync();
        await _cluster.CreateDatabaseAsync("runtara");
        _core = await CoreHost.StartAsync(_directory.Path, ConnectionString, TestCoreSettings.Shared());
    }

    public async Task DisposeAsync()
    {
        if (_core is not null)
        {
            await _core.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SqliteCollection : ICollectionFixture<SqliteCoreFixture>
{
    public const string Name = "sqlite";
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>A fact that is skipped, with the reason, when PostgreSQL server binaries are not installed.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = PostgresCluster.SkipReason;
    }
}

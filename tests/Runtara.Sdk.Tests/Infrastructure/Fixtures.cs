using Runtara.Sdk.Embedded;

namespace Runtara.Sdk.Tests.Infrastructure;

/// <summary>One real core for the "sdk-core" collection (in process, SQLite, TLS on loopback port 0).</summary>
public sealed class CoreFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("runtara-sdk-core");
    private CoreHost? _core;

    public CoreHost Core => _core ?? throw new InvalidOperationException("The core is not started.");

    public CoreHarness Harness => new(Core);

    public async Task InitializeAsync() => _core = await CoreHost.StartAsync(_directory.Path);

    public async Task DisposeAsync()
    {
        if (_core is not null)
        {
            await _core.DisposeAsync();
        }

        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class CoreCollection : ICollectionFixture<CoreFixture>
{
    public const string Name = "sdk-core";
}

/// <summary>One embedded engine (a SQLite file) per test class.</summary>
public sealed class EmbeddedFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("runtara-sdk-embedded");
    private EmbeddedEngine? _engine;

    public EmbeddedEngine Engine => _engine ?? throw new InvalidOperationException("The engine is not open.");

    public EmbeddedHarness Harness => new(Engine);

    public async Task InitializeAsync() =>
        _engine = await EmbeddedEngine.OpenAsync(Path.Combine(_directory.Path, "runtara.db"), o => o.InProcessSleepThreshold = CoreHost.SleepThreshold);

    public async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }

        _directory.Dispose();
    }
}

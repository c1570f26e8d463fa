using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Children;
using Runtara.Engine.Events;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Sleep;
using Runtara.Engine.Storage;
using Runtara.Engine.Waits;
using Runtara.Sdk.Embedded.Backends;

namespace Runtara.Sdk.Embedded;

/// <summary>
/// The Runtara engine — the core's own rules and storage — running in this process on a SQLite file.
/// Workflows connect to it with <see cref="Connect"/> and behave exactly as against a core; tests use
/// the operator methods (<see cref="SendSignalAsync"/>, <see cref="GetInstanceAsync"/>, …) in place of
/// the management protocol. Several processes may open the same file (a child process run with
/// <c>RUNTARA_EMBEDDED_DB</c> and <see cref="EmbeddedOptionsExtensions.UseEmbeddedEngine"/>, for example).
/// </summary>
public sealed class EmbeddedEngine : IAsyncDisposable
{
    private const int ListLimit = 100_000;

    private readonly ServiceProvider _services;

    private EmbeddedEngine(ServiceProvider services, string path)
    {
        _services = services;
        DatabasePath = path;
        Instances = services.GetRequiredService<InstanceService>();
        Checkpoints = services.GetRequiredService<CheckpointService>();
        Signals = services.GetRequiredService<SignalService>();
        Sleeper = services.GetRequiredService<SleepService>();
        Events = services.GetRequiredService<EventService>();
        Waits = services.GetRequiredService<WaitService>();
        Children = services.GetRequiredService<ChildService>();
        DueWork = services.GetRequiredService<DueWorkService>();
        MaxInputSize = services.GetRequiredService<IOptions<EngineOptions>>().Value.MaxCheckpointSize;
    }

    /// <summary>The SQLite database file.</summary>
    public string DatabasePath { get; }

    internal InstanceService Instances { get; }

    internal CheckpointService Checkpoints { get; }

    internal SignalService Signals { get; }

    internal SleepService Sleeper { get; }

    internal EventService Events { get; }

    internal WaitService Waits { get; }

    internal ChildService Children { get; }

    internal DueWorkService DueWork { get; }

    internal int MaxInputSize { get; }

    /// <summary>
    /// Opens (creating and migrating if needed) the engine on the SQLite file <paramref name="databasePath"/>.
    /// <paramref name="configure"/> may change the engine's limits, e.g. <see cref="EngineOptions.InProcessSleepThreshold"/>
    /// (sleeps shorter than it are waited in process; longer ones suspend the instance).
    /// </summary>
    public static async Task<EmbeddedEngine> OpenAsync(
        string databasePath,
        Action<EngineOptions>? configure = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var path = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(timeProvider ?? TimeProvider.System);
        services.AddRuntaraEngine("Runtara:Embedded").Configure(options =>
        {
            configure?.Invoke(options);
            options.DatabasePath = path;
            options.PostgresConnectionString = null;
        });

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        try
        {
            var store = provider.GetRequiredService<ICoreStore>();
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return new EmbeddedEngine(provider, path);
        }
        catch
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection that runs instances on this engine (which the caller keeps and disposes).</summary>
    public RuntaraConnection Connect(RuntaraInstanceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return RuntaraConnection.ForBackend(new EmbeddedBackend(Task.FromResult(this), ownsEngine: false), options, loggerFactory, $"embedded engine {DatabasePath}");
    }

    /// <summary>Creates a PENDING instance (as the environment does before a launch). Returns false if it exists.</summary>
    public async Task<bool> CreateInstanceAsync(string instanceId, string tenantId, CancellationToken cancellationToken = default) =>
        (await Instances.CreateAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false)).Created;

    /// <summary>Stores an instance-wide signal for the instance, as the management protocol's SendSignal does.</summary>
    public Task SendSignalAsync(string instanceId, SignalKind kind, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default) =>
        Signals.SendAsync(instanceId, kind, payload.ToArray(), cancellationToken);

    /// <summary>Leaves <paramref name="payload"/> at the wait point <paramref name="checkpointId"/>, as SendCustomSignal does.</summary>
    public Task SendCustomSignalAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        Signals.SendCustomAsync(instanceId, checkpointId, payload.ToArray(), cancellationToken);

    /// <summary>
    /// What an environment would be told by ListDueWakeups: instances whose sleep or wait is over, and
    /// children recorded by StartChild and not yet started — leased for <paramref name="lease"/> so a
    /// second call does not return them again. With no environment around, the caller runs them (e.g. a
    /// test runs each child's workflow and relaunches each woken instance).
    /// </summary>
    public Task<DueWork> ClaimDueWorkAsync(int limit = 100, TimeSpan? lease = null, CancellationToken cancellationToken = default) =>
        DueWork.ClaimAsync(limit, lease ?? TimeSpan.FromSeconds(30), TimeSpan.Zero, cancellationToken);

    /// <summary>Ends an instance as an environment does when its process cannot (e.g. FAILED because its image does not exist).</summary>
    public async Task<bool> FinishInstanceAsync(string instanceId, InstanceStatus status, string? error = null, CancellationToken cancellationToken = default) =>
        (await Instances.FinishAsync(instanceId, status, error, null, null, cancellationToken).ConfigureAwait(false)).Applied;

    /// <summary>The stored instance, or null.</summary>
    public Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken = default) =>
        Instances.GetAsync(instanceId, fromInstance: false, cancellationToken);

    /// <summary>The instance's checkpoints, oldest first.</summary>
    public async Task<IReadOnlyList<CheckpointSummary>> ListCheckpointsAsync(string instanceId, CancellationToken cancellationToken = default) =>
        (await Checkpoints.ListAsync(new CheckpointQuery(instanceId, null, null, null, ListLimit, 0), cancellationToken).ConfigureAwait(false)).Items;

    /// <summary>The instance's recorded retry attempts.</summary>
    public async Task<IReadOnlyList<RetryAttemptRecord>> ListRetryAttemptsAsync(string instanceId, CancellationToken cancellationToken = default) =>
        (await Checkpoints.ListRetryAttemptsAsync(new RetryAttemptQuery(instanceId, null, ListLimit, 0), cancellationToken).ConfigureAwait(false)).Items;

    /// <summary>The instance's stored events, oldest first.</summary>
    public async Task<IReadOnlyList<EventRecord>> ListEventsAsync(string instanceId, CancellationToken cancellationToken = default) =>
        (await Events.ListAsync(new EventQuery(instanceId, null, null, null, null, null, ListLimit, 0), cancellationToken).ConfigureAwait(false)).Items;

    /// <summary>Stops the engine's writer (waiting for queued writes) and closes the file.</summary>
    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

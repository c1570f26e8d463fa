using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Children;
using Runtara.Engine.Events;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Sleep;
using Runtara.Engine.Storage;
using Runtara.Engine.Storage.Postgres;
using Runtara.Engine.Storage.Sqlite;
using Runtara.Engine.Waits;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Composition of the engine: <c>services.AddRuntaraEngine()</c>, used by the core server and the embedded backend.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds the instance rules and their storage (PostgreSQL when
    /// <see cref="EngineOptions.PostgresConnectionString"/> is set, else the SQLite file
    /// <see cref="EngineOptions.DatabasePath"/>), validated at start-up. The caller binds or configures
    /// the options through the returned builder; <paramref name="settingsName"/> names them in validation
    /// messages (the core passes its section, <c>Runtara:Core</c>).
    /// </summary>
    public static OptionsBuilder<EngineOptions> AddRuntaraEngine(this IServiceCollection services, string settingsName = "Runtara:Engine")
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(settingsName);
        var options = services.AddOptions<EngineOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>>(new EngineOptionsValidator(settingsName));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(CreateStore);
        services.TryAddSingleton<ActivityTracker>();
        services.TryAddSingleton<InstanceService>();
        services.TryAddSingleton<CheckpointService>();
        services.TryAddSingleton<SignalService>();
        services.TryAddSingleton<SleepService>();
        services.TryAddSingleton<EventService>();
        services.TryAddSingleton<WakeupNotifier>();
        services.TryAddSingleton<WaitService>();
        services.TryAddSingleton<ChildService>();
        services.TryAddSingleton<DueWorkService>();
        services.TryAddSingleton<RetentionService>();
        return options;
    }

    private static ICoreStore CreateStore(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<EngineOptions>>().Value;
        var loggers = services.GetRequiredService<ILoggerFactory>();
        return string.IsNullOrWhiteSpace(options.PostgresConnectionString)
            ? new SqliteCoreStore(
                Path.GetFullPath(options.DatabasePath!),
                new StoreSettings(options.MaxWriteBatchSize, options.WriteQueueCapacity, Writers: 1),
                loggers.CreateLogger<SqliteCoreStore>())
            : new PostgresCoreStore(
                options.PostgresConnectionString,
                new StoreSettings(options.MaxWriteBatchSize, options.WriteQueueCapacity, options.PostgresWriters),
                loggers.CreateLogger<PostgresCoreStore>(),
                // Pulses from the other cores of the database reach this core's long polls.
                services.GetRequiredService<WakeupNotifier>().Pulse);
    }
}

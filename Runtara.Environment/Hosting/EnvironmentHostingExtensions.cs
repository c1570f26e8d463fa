using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment;
using Runtara.Protocol.Security;
using Runtara.Environment.Core;
using Runtara.Environment.Hosting;
using Runtara.Environment.Images;
using Runtara.Environment.Instances;
using Runtara.Environment.Metrics;
using Runtara.Environment.Rpc;
using Runtara.Environment.Runner;
using Runtara.Environment.Schedules;
using Runtara.Environment.Runner.Oci;
using Runtara.Environment.Runner.Warm;
using Runtara.Environment.Security;
using Runtara.Environment.Storage;
using Runtara.Environment.Storage.Postgres;
using Runtara.Environment.Storage.Sqlite;
using Runtara.Environment.Workers;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;

namespace Microsoft.Extensions.Hosting;

/// <summary>Composition of the environment server: <c>builder.AddRuntaraEnvironment()</c>.</summary>
public static class EnvironmentHostingExtensions
{
    /// <summary>
    /// Adds the environment: options from <c>Runtara:Environment</c> (validated at start-up; the core
    /// address also from Aspire's <c>services:core:management:0</c>, PostgreSQL from
    /// <c>ConnectionStrings:runtara-postgres</c>), its store, the runners (process, OCI), the protocol server,
    /// the wake scheduler, heartbeat monitor, cleanup and schedule workers, and health checks.
    /// </summary>
    public static TBuilder AddRuntaraEnvironment<TBuilder>(this TBuilder builder, Action<EnvironmentOptions>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var services = builder.Services;
        var options = services.AddOptions<EnvironmentOptions>()
            .Bind(configuration.GetSection(EnvironmentOptions.SectionName))
            .PostConfigure(o =>
            {
                o.PostgresConnectionString = string.IsNullOrWhiteSpace(o.PostgresConnectionString) ? configuration.GetConnectionString("runtara-postgres") : o.PostgresConnectionString;
                o.CoreAddress = string.IsNullOrWhiteSpace(o.CoreAddress) ? configuration["services:core:management:0"] ?? "127.0.0.1:8003" : o.CoreAddress;
                o.CoreInstanceAddress = string.IsNullOrWhiteSpace(o.CoreInstanceAddress)
                    ? configuration["services:core:instance:0"] ?? EnvironmentOptions.DefaultInstanceAddress(o.CoreAddress)
                    : o.CoreInstanceAddress;
                o.Oci.EnvironmentScope = EnvironmentOptions.ScopeOf(o.ResolveEnvironmentId());
            })
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EnvironmentOptions>, EnvironmentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEnvironmentStore>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<EnvironmentOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Runtara.Environment.Storage");
            return string.IsNullOrWhiteSpace(settings.PostgresConnectionString)
                ? new SqliteEnvironmentStore(Path.Combine(settings.ResolveDataDirectory(), "environment.db"), logger)
                : new PostgresEnvironmentStore(settings.PostgresConnectionString, logger);
        });
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<EnvironmentOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Runtara.Environment.Security");
            var keyOptions = settings.Security;
            if (keyOptions.Keys.Count == 0 && string.IsNullOrWhiteSpace(keyOptions.KeyFile)
                && DevelopmentSecrets.KeyFileNextTo(settings.CoreTls.PinnedCertificatePath) is { } coreKeys)
            {
                // Zero set-up: pinning the core's development certificate, use the keys it generated next to it.
                keyOptions = new TokenKeyOptions { KeyFile = coreKeys };
            }

            var keys = TokenKeyRingLoader.Load(keyOptions, $"{EnvironmentOptions.SectionName}:Security", settings.ResolveDataDirectory(), out var source);
            Log.TokenKeysLoaded(logger, keys.KeyIds.Count, keys.SigningKeyId, source);
            return new TokenIssuer(keys, sp.GetRequiredService<TimeProvider>(), settings.InstanceTokenLifetime, settings.ServiceTokenLifetime);
        });
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<EnvironmentOptions>>().Value;
            var keys = ApiKeyLoader.Load(settings, out var source);
            Log.ApiKeysLoaded(sp.GetRequiredService<ILoggerFactory>().CreateLogger("Runtara.Environment.Security"), keys.Count, source);
            return new ApiKeyAuthenticator(keys);
        });
        services.TryAddSingleton<ICoreClient, CoreClient>();
        services.TryAddSingleton<ProcessRunner>();
        services.TryAddSingleton<OciWarmPool>();
        services.TryAddSingleton<WarmProcesses>();
        services.TryAddSingleton<OciRunner>();
        services.TryAddSingleton<IInstanceRunner, RunnerSelector>();
        services.TryAddSingleton<InstanceUsers>();
        services.TryAddSingleton<ImageContentStore>();
        services.TryAddSingleton<ImageService>();
        services.TryAddSingleton<InstanceSupervisor>();
        services.TryAddSingleton<InstanceService>();
        services.TryAddSingleton<TenantMetricsService>();
        services.TryAddSingleton<IScheduleInstances, ScheduleInstances>();
        services.TryAddSingleton<ScheduleService>();
        services.TryAddSingleton<IRpcHandler<RpcRequest, RpcResponse>, EnvironmentRpcHandler>();
        services.TryAddSingleton<EnvironmentServer>();
        services.AddHostedService(sp => sp.GetRequiredService<EnvironmentServer>());
        services.AddHostedService<WakeScheduler>();
        services.AddHostedService<HeartbeatMonitor>();
        services.AddHostedService<CleanupWorker>();
        RetentionWorker.Add(services, builder.Configuration);
        services.AddHostedService<ScheduleWorker>();
        services.AddHostedService<RunLeaseWorker>();
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("environment-store")
            .AddCheck<CoreHealthCheck>("core");
        return builder;
    }
}

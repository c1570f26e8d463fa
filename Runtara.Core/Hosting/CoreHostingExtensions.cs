using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Core.Hosting;
using Runtara.Core.Rpc;
using Runtara.Core.Security;
using Runtara.Protocol.Security;

namespace Microsoft.Extensions.Hosting;

/// <summary>Composition of the core server: <c>builder.AddRuntaraCore()</c>.</summary>
public static class CoreHostingExtensions
{
    /// <summary>Aspire connection-string resource name that switches storage to PostgreSQL.</summary>
    public const string PostgresConnectionName = "runtara-postgres";

    /// <summary>
    /// Adds the core: options from <c>Runtara:Core</c> (validated at start-up), storage (PostgreSQL when
    /// a connection string is configured, else SQLite under the data directory), the services, both
    /// protocol servers and a storage health check on /health.
    /// </summary>
    public static TBuilder AddRuntaraCore<TBuilder>(this TBuilder builder, Action<CoreOptions>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var section = builder.Configuration.GetSection(CoreOptions.SectionName);
        var optionsBuilder = services.AddOptions<CoreOptions>()
            .Bind(section)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoreOptions>, CoreOptionsValidator>());
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        // The engine's settings live in the same section, so every key keeps its name.
        services.AddRuntaraEngine(CoreOptions.SectionName)
            .Bind(section)
            .PostConfigure<IOptions<CoreOptions>>((engine, core) =>
            {
                if (string.IsNullOrWhiteSpace(engine.PostgresConnectionString))
                {
                    engine.PostgresConnectionString = builder.Configuration.GetConnectionString(PostgresConnectionName);
                }

                engine.DatabasePath ??= Path.Combine(core.Value.ResolveDataDirectory(), "core.db");
            });

        services.AddSingleton(CreateKeyRing);
        services.AddSingleton<InstanceAuthenticator>();
        services.AddSingleton<InstanceTenantGuard>();
        services.AddSingleton<ManagementAuthenticator>();
        services.AddSingleton<InstanceRpcHandler>();
        services.AddSingleton<ManagementRpcHandler>();
        services.AddSingleton<CoreServer>();
        services.AddHostedService(sp => sp.GetRequiredService<CoreServer>());
        services.AddHostedService<InstanceStatusGauge>();
        CoreRetentionWorker.Add(services, builder.Configuration);
        services.AddHealthChecks().AddCheck<StorageHealthCheck>("core-storage");
        return builder;
    }

    private static TokenKeyRing CreateKeyRing(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<CoreOptions>>().Value;
        var ring = TokenKeyRingLoader.Load(options.Security, $"{CoreOptions.SectionName}:Security", options.ResolveDataDirectory(), out var source);
        Runtara.Core.Diagnostics.Log.TokenKeysLoaded(services.GetRequiredService<ILoggerFactory>().CreateLogger("Runtara.Core.Security"), ring.KeyIds.Count, ring.SigningKeyId, source);
        return ring;
    }
}

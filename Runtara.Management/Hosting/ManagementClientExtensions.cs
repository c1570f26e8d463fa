using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Management;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers <see cref="RuntaraManagementClient"/> following the Aspire client-integration pattern:
/// settings from <c>Runtara:Management</c> first, then the connection (a connection string or an Aspire
/// service-discovery endpoint named after the resource), then the delegate; a health check unless disabled.
/// </summary>
public static class ManagementClientExtensions
{
    /// <summary>Adds the client with options from <paramref name="configure"/> (and <c>Runtara:Management</c> when bound by the host).</summary>
    public static IServiceCollection AddRuntaraManagementClient(this IServiceCollection services, Action<ManagementClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ManagementClientOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ManagementClientOptions>, ManagementClientOptionsValidator>());
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => new RuntaraManagementClient(
            sp.GetRequiredService<IOptions<ManagementClientOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger<RuntaraManagementClient>()));
        return services;
    }

    /// <summary>
    /// Adds the client for the environment resource <paramref name="connectionName"/>: its address (and the
    /// certificate to pin) come from <c>ConnectionStrings:&lt;name&gt;</c> as Runtara.Hosting writes it
    /// (<see cref="ManagementConnectionString"/>), else Aspire's <c>services:&lt;name&gt;:environment:0</c> / <c>services:&lt;name&gt;:tcp:0</c>.
    /// </summary>
    public static TBuilder AddRuntaraManagementClient<TBuilder>(this TBuilder builder, string connectionName = "environment", Action<ManagementClientOptions>? configure = null, bool disableHealthChecks = false)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionName);
        var configuration = builder.Configuration;
        builder.Services.AddOptions<ManagementClientOptions>()
            .Bind(configuration.GetSection(ManagementClientOptions.SectionName))
            .Configure(o =>
            {
                if (configuration.GetConnectionString(connectionName) is { Length: > 0 } connectionString)
                {
                    ManagementConnectionString.Apply(connectionString, o);
                }
                else if ((configuration[$"services:{connectionName}:environment:0"] ?? configuration[$"services:{connectionName}:tcp:0"]) is { Length: > 0 } address)
                {
                    o.Address = address;
                }
            });
        builder.Services.AddRuntaraManagementClient(configure);
        if (!disableHealthChecks)
        {
            builder.Services.AddHealthChecks().AddCheck<ManagementClientHealthCheck>($"runtara-environment-{connectionName}");
        }

        return builder;
    }

    private sealed class ManagementClientHealthCheck(RuntaraManagementClient client) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var health = await client.HealthAsync(cancellationToken).ConfigureAwait(false);
                return health.Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The environment reports itself unhealthy.");
            }
            catch (ManagementException ex)
            {
                return HealthCheckResult.Unhealthy(ex.Message, ex);
            }
        }
    }
}

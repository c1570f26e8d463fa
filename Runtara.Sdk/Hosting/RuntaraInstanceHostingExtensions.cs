using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Runtara.Diagnostics;
using Runtara.Sdk;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers the Runtara instance SDK in a host, following the Aspire client-integration pattern:
/// settings are bound from configuration (<c>Runtara:Instance</c>), then the launch contract's
/// <c>RUNTARA_*</c> environment variables are applied over them (the environment that launched
/// this process has the last word on identity and address), then a connection string
/// (<c>ConnectionStrings:{connectionName}</c>, which Aspire's <c>WithReference</c> provides) sets the
/// core address, and finally the optional delegate. Tracing and metrics are registered with
/// OpenTelemetry unless switched off.
/// </summary>
public static class RuntaraInstanceHostingExtensions
{
    /// <summary>
    /// Adds <see cref="RuntaraInstanceOptions"/> (validated at start-up) and a singleton
    /// <see cref="RuntaraConnection"/>. Run the workflow with <see cref="RunRuntaraWorkflowAsync{TInput,TOutput}"/>.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="connectionName">Name of a connection string holding the core address (optional).</param>
    /// <param name="configureSettings">Last word on the settings. It runs once at registration (to decide the telemetry registration) and again when the options are built.</param>
    public static IHostApplicationBuilder AddRuntaraInstance(
        this IHostApplicationBuilder builder,
        string? connectionName = null,
        Action<RuntaraInstanceOptions>? configureSettings = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        InstanceEnvironment.ApplyLaunchFileToProcess();
        var configuration = builder.Configuration;
        void Configure(RuntaraInstanceOptions options)
        {
            InstanceConfiguration.Bind(configuration.GetSection(RuntaraInstanceOptions.SectionName), options);
            InstanceEnvironment.Apply(options, name => configuration[name] ?? System.Environment.GetEnvironmentVariable(name));
            if (connectionName is not null && configuration.GetConnectionString(connectionName) is { Length: > 0 } address)
            {
                options.ServerAddress = address;
            }

            configureSettings?.Invoke(options);
        }

        // Whether to register tracing and metrics is decided now, so the same steps also run once
        // here; that also stops a value that does not parse at registration, naming its key.
        var settings = new RuntaraInstanceOptions();
        Configure(settings);

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RuntaraInstanceOptions>, RuntaraInstanceOptionsValidator>());
        builder.Services.AddOptions<RuntaraInstanceOptions>().Configure(Configure).ValidateOnStart();
        builder.Services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RuntaraInstanceOptions>>().Value;

            // Opens the embedded engine in the background or creates a lazily connecting client (core): nothing to await.
            return RuntaraConnection.Connect(options, sp.GetService<ILoggerFactory>());
        });

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(RuntaraTelemetry.Sdk, RuntaraTelemetry.Protocol));
        }

        if (!settings.DisableMetrics)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(RuntaraTelemetry.Sdk, RuntaraTelemetry.Protocol));
        }

        return builder;
    }

    /// <summary>
    /// Starts the host (validating the settings and starting telemetry), runs <paramref name="workflow"/>
    /// as this process's instance with the registered connection — input from <c>RUNTARA_INPUT_PATH</c>,
    /// <c>output.json</c> to <c>RUNTARA_OUTPUT_PATH</c> — stops the host (flushing telemetry) and
    /// returns the exit code. Ctrl+C or SIGTERM stops the run without reporting an outcome (the
    /// instance replays on its next launch) and returns 130.
    /// </summary>
    public static async Task<int> RunRuntaraWorkflowAsync<TInput, TOutput>(
        this IHost host,
        Workflow<TInput, TOutput> workflow,
        JsonTypeInfo<TInput> inputType,
        JsonTypeInfo<TOutput> outputType,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"runtara: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        try
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
            var connection = host.Services.GetRequiredService<RuntaraConnection>();
            return await RuntaraWorkflow.RunAsync(connection, workflow, inputType, outputType, linked.Token).ConfigureAwait(false);
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await host.StopAsync(stop.Token).ConfigureAwait(false);
        }
    }
}

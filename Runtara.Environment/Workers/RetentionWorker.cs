using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Data;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Workers;

/// <summary>
/// Deletes the runs of finished instances past their retention period (<c>Runtara:Environment:Retention</c>,
/// docs/operations.md "Retention") with their run directories (input, output, logs, workspace), a
/// bounded batch per statement. The core deletes its own data of them by its own retention; the
/// <see cref="CleanupWorker"/> still removes run directories earlier (<c>RunRetention</c>). Environments
/// sharing a PostgreSQL database claim disjoint rows (FOR UPDATE SKIP LOCKED).
/// </summary>
internal sealed class RetentionWorker(IEnvironmentStore store, IOptionsMonitor<RetentionOptions> retention, IOptions<EnvironmentOptions> options, TimeProvider time, ILogger<RetentionWorker> logger)
    : PeriodicWorker(time, logger)
{
    /// <summary>The configuration section, and the name of the options instance.</summary>
    public const string SectionName = EnvironmentOptions.SectionName + ":Retention";

    private RetentionOptions Settings => retention.Get(SectionName);

    protected override TimeSpan Interval => Settings.Interval;

    protected override string Name => "Retention worker";

    public override async Task RunOnceAsync(CancellationToken cancellationToken) => await PurgeAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>One retention cycle; returns how many runs this environment deleted.</summary>
    public async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        var settings = Settings;
        var data = options.Value.ResolveDataDirectory();
        long total = 0;
        foreach (var pass in settings.Passes(Time.GetUtcNow()))
        {
            while (true)
            {
                var purged = await store.PurgeFinishedRunsAsync(pass, settings.BatchSize, cancellationToken).ConfigureAwait(false);
                foreach (var run in purged)
                {
                    DeleteRunDirectory(data, run.TenantId, run.InstanceId);
                }

                if (purged.Count > 0)
                {
                    EnvironmentTelemetry.PurgedRuns.Add(purged.Count);
                    Log.RunsPurged(Logger, purged.Count, pass.TenantId ?? "*");
                    total += purged.Count;
                }

                if (purged.Count < settings.BatchSize)
                {
                    break;
                }
            }
        }

        return total;
    }

    /// <summary>Removes <c>&lt;data&gt;/runs/&lt;tenant&gt;/&lt;instance&gt;</c> when it exists; a failure is left to the cleanup worker.</summary>
    internal static void DeleteRunDirectory(string dataDirectory, string tenantId, string instanceId)
    {
        if (!Identifiers.IsValid(tenantId) || !Identifiers.IsValid(instanceId))
        {
            return;
        }

        var path = new RunDirectory(dataDirectory, tenantId, instanceId).Path;
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The cleanup worker removes directories whose run is gone on a later cycle.
        }
    }

    /// <summary>Binds and validates <c>Runtara:Environment:Retention</c> and adds the worker.</summary>
    internal static void Add(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>(SectionName).Bind(configuration.GetSection(SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>>(new Validator());
        services.AddSingleton<InstanceDeletion>();
        services.AddSingleton<RetentionWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionWorker>());
    }

    private sealed class Validator : IValidateOptions<RetentionOptions>
    {
        public ValidateOptionsResult Validate(string? name, RetentionOptions options)
        {
            if (name != SectionName)
            {
                return ValidateOptionsResult.Skip;
            }

            var failures = options.Validate(SectionName).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

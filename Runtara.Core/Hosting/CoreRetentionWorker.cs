using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Core.Diagnostics;
using Runtara.Data;
using Runtara.Diagnostics;
using Runtara.Engine.Instances;

namespace Runtara.Core.Hosting;

/// <summary>
/// Deletes finished instances past their retention period (<c>Runtara:Core:Retention</c>,
/// docs/operations.md "Retention") every <see cref="RetentionOptions.Interval"/>, first one interval
/// after start. Several cores over one PostgreSQL database each run it: a batch's rows are claimed
/// with <c>FOR UPDATE SKIP LOCKED</c>, so each instance is deleted (and counted) by one of them.
/// </summary>
internal sealed class CoreRetentionWorker(RetentionService retention, IOptionsMonitor<RetentionOptions> options, TimeProvider time, ILogger<CoreRetentionWorker> logger)
    : BackgroundService
{
    /// <summary>The configuration section, and the name of the options instance.</summary>
    public const string SectionName = CoreOptions.SectionName + ":Retention";

    /// <summary>One retention cycle (the worker's tick; tests call it directly).</summary>
    public Task<long> RunOnceAsync(CancellationToken cancellationToken) => retention.PurgeAsync(options.Get(SectionName), cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Get(SectionName);
        if (settings.Passes(time.GetUtcNow()).Count == 0)
        {
            return; // Keep forever.
        }

        using var background = BackgroundWork.Begin();
        using var timer = new PeriodicTimer(settings.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    Log.RetentionFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; a batch in flight commits or rolls back whole.
        }
    }

    /// <summary>Binds and validates <c>Runtara:Core:Retention</c> and adds the worker.</summary>
    internal static void Add(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>(SectionName).Bind(configuration.GetSection(SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>>(new Validator());
        services.AddSingleton<CoreRetentionWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<CoreRetentionWorker>());
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

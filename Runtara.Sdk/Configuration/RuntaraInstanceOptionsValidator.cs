using Microsoft.Extensions.Options;
using Runtara.Protocol.Rpc;

namespace Runtara.Sdk;

/// <summary>
/// Validates <see cref="RuntaraInstanceOptions"/> at start-up. Each failure names the setting and
/// the environment variable it comes from, so a bad launch stops with a message a person can act on.
/// Written by hand rather than generated with <c>[OptionsValidator]</c>: the rules are conditional (the
/// identity only when hosted, the address only without an embedded store), <see cref="RuntaraConnection"/>
/// runs them outside DI, and its <see cref="RuntaraConfigurationException.Key"/> needs the failing
/// variable as data, which generated validators report only inside message text.
/// </summary>
public sealed class RuntaraInstanceOptionsValidator : IValidateOptions<RuntaraInstanceOptions>
{
    /// <summary>Checks <paramref name="options"/>; a failure names the setting or environment variable at fault.</summary>
    /// <param name="name">The options name (unused: the SDK has one unnamed instance of its options).</param>
    /// <param name="options">The options to check.</param>
    /// <returns>Success, or a failure whose message starts with the failing key.</returns>
    public ValidateOptionsResult Validate(string? name, RuntaraInstanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failure = FindFailure(options, requireIdentity: true);
        return failure is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail($"{failure.Value.Key}: {failure.Value.Message}");
    }

    internal static (string Key, string Message)? FindFailure(RuntaraInstanceOptions options, bool requireIdentity)
    {
        if (requireIdentity && string.IsNullOrWhiteSpace(options.InstanceId))
        {
            return (InstanceEnvironment.InstanceId, "is required (RuntaraInstanceOptions.InstanceId)");
        }

        if (requireIdentity && string.IsNullOrWhiteSpace(options.TenantId))
        {
            return (InstanceEnvironment.TenantId, "is required (RuntaraInstanceOptions.TenantId)");
        }

        if (options.EmbeddedDatabasePath is null)
        {
            try
            {
                RpcAddress.ParseList(options.ServerAddress);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                return (InstanceEnvironment.ServerAddress, ex.Message);
            }
        }

        // Checked here so an instance told to use QUIC where msquic is missing fails like any other bad
        // setting (failed output, exit 1), not with an unhandled PlatformNotSupportedException (issue 19).
        if (options.EmbeddedDatabasePath is null && Runtara.Protocol.Transport.TransportSupport.Problem(options.Transport) is { } transport)
        {
            return (InstanceEnvironment.Transport, transport);
        }

        if (options.HeartbeatInterval < TimeSpan.Zero)
        {
            return (InstanceEnvironment.HeartbeatIntervalMs, "must not be negative (0 disables heartbeats)");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            return (InstanceEnvironment.ConnectTimeoutMs, "must be positive");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            return (InstanceEnvironment.RequestTimeoutMs, "must be positive");
        }

        if (options.CoreUnavailableTolerance < TimeSpan.Zero)
        {
            return (InstanceEnvironment.CoreUnavailableToleranceMs, "must not be negative (0 gives up at the first transport failure)");
        }

        if (options.SignalPollInterval <= TimeSpan.Zero)
        {
            return (InstanceEnvironment.SignalPollIntervalMs, "must be positive");
        }

        if (options.InProcessSleepThreshold < TimeSpan.Zero)
        {
            return (nameof(RuntaraInstanceOptions.InProcessSleepThreshold), "must not be negative");
        }

        if (options.WaitGracePeriod < TimeSpan.Zero)
        {
            return (InstanceEnvironment.WaitGraceMs, "must not be negative");
        }

        if (options.DefaultRetryPolicy is null)
        {
            return (nameof(RuntaraInstanceOptions.DefaultRetryPolicy), "is required");
        }

        if (options.DefaultRetryPolicy.Validate() is { } retryError)
        {
            return (nameof(RuntaraInstanceOptions.DefaultRetryPolicy), retryError);
        }

        if (options.SerializerOptions is null)
        {
            return (nameof(RuntaraInstanceOptions.SerializerOptions), "is required");
        }

        if (options.TimeProvider is null)
        {
            return (nameof(RuntaraInstanceOptions.TimeProvider), "is required");
        }

        foreach (var (key, path) in new[]
        {
            (InstanceEnvironment.PinnedCertificate, options.PinnedCertificatePath),
            (InstanceEnvironment.CaCertificate, options.CaCertificatePath),
        })
        {
            if (path is not null && !File.Exists(path))
            {
                return (key, $"file '{path}' does not exist");
            }
        }

        return null;
    }
}

using Microsoft.Extensions.Configuration;
using Runtara.Protocol.Transport;

namespace Runtara.Sdk;

/// <summary>
/// The settings of <see cref="RuntaraInstanceOptions"/> that configuration may set. The binding
/// source generator binds this interface rather than the options class, so it never walks the
/// objects that are set in code (serializer, clock, retry policy) and the SDK stays trimming-safe.
/// </summary>
internal interface IInstanceSettings
{
    string? InstanceId { get; set; }

    string? TenantId { get; set; }

    string? Token { get; set; }

    string ServerAddress { get; set; }

    string? ServerName { get; set; }

    TransportKind Transport { get; set; }

    string? PinnedCertificatePath { get; set; }

    string? CaCertificatePath { get; set; }

    bool SkipCertificateVerification { get; set; }

    string? CheckpointId { get; set; }

    string? InputPath { get; set; }

    string? OutputPath { get; set; }

    string? WorkspaceDirectory { get; set; }

    TimeSpan HeartbeatInterval { get; set; }

    TimeSpan ConnectTimeout { get; set; }

    TimeSpan RequestTimeout { get; set; }

    TimeSpan CoreUnavailableTolerance { get; set; }

    TimeSpan SignalPollInterval { get; set; }

    TimeSpan InProcessSleepThreshold { get; set; }

    TimeSpan WaitGracePeriod { get; set; }

    string? EmbeddedDatabasePath { get; set; }

    bool DisableTracing { get; set; }

    bool DisableMetrics { get; set; }
}

/// <summary>
/// Binds <c>Runtara:Instance</c> (<c>…:ServerAddress</c>, <c>…:HeartbeatInterval</c> as a TimeSpan
/// such as <c>00:00:10</c>, …) onto the options with the generated binder.
/// </summary>
internal static class InstanceConfiguration
{
    /// <exception cref="RuntaraConfigurationException">A value does not parse; the exception names its key.</exception>
    public static void Bind(IConfigurationSection section, IInstanceSettings settings)
    {
        try
        {
            section.Bind(settings);
        }
        catch (InvalidOperationException ex)
        {
            // The generated binder names the key only inside its message, so match the message
            // against the keys present; the section itself when none matches.
            var key = section.GetChildren().Select(child => child.Path)
                .FirstOrDefault(path => ex.Message.Contains($"'{path}'", StringComparison.OrdinalIgnoreCase)) ?? section.Path;
            throw new RuntaraConfigurationException(key, $"is not valid: {ex.InnerException?.Message ?? ex.Message}");
        }
    }
}

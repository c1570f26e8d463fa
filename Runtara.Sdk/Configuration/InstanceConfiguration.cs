using System.Globalization;
using Microsoft.Extensions.Configuration;
using Runtara.Protocol.Transport;

namespace Runtara.Sdk;

/// <summary>
/// Binds the plain settings of <see cref="RuntaraInstanceOptions"/> from a configuration section
/// (<c>Runtara:Instance:ServerAddress</c>, <c>…:HeartbeatInterval</c> as a TimeSpan such as
/// <c>00:00:10</c>, …). Written out instead of using the reflection binder so the SDK stays
/// trimming-safe; object-valued settings (serializer, clock, retry policy) are set in code.
/// </summary>
internal static class InstanceConfiguration
{
    public static void Apply(RuntaraInstanceOptions options, IConfiguration section)
    {
        string? Get(string name) => section[name] is { Length: > 0 } value ? value.Trim() : null;

        options.InstanceId = Get(nameof(options.InstanceId)) ?? options.InstanceId;
        options.TenantId = Get(nameof(options.TenantId)) ?? options.TenantId;
        options.Token = Get(nameof(options.Token)) ?? options.Token;
        options.ServerAddress = Get(nameof(options.ServerAddress)) ?? options.ServerAddress;
        options.ServerName = Get(nameof(options.ServerName)) ?? options.ServerName;
        options.PinnedCertificatePath = Get(nameof(options.PinnedCertificatePath)) ?? options.PinnedCertificatePath;
        options.CaCertificatePath = Get(nameof(options.CaCertificatePath)) ?? options.CaCertificatePath;
        options.CheckpointId = Get(nameof(options.CheckpointId)) ?? options.CheckpointId;
        options.InputPath = Get(nameof(options.InputPath)) ?? options.InputPath;
        options.OutputPath = Get(nameof(options.OutputPath)) ?? options.OutputPath;
        options.WorkspaceDirectory = Get(nameof(options.WorkspaceDirectory)) ?? options.WorkspaceDirectory;
        options.EmbeddedDatabasePath = Get(nameof(options.EmbeddedDatabasePath)) ?? options.EmbeddedDatabasePath;
        if (Get(nameof(options.Transport)) is { } transport)
        {
            options.Transport = Enum.TryParse<TransportKind>(transport, ignoreCase: true, out var kind)
                ? kind
                : throw new RuntaraConfigurationException(Key(section, nameof(options.Transport)), $"must be Auto, Quic or Tcp, got '{transport}'");
        }

        options.SkipCertificateVerification = Boolean(section, Get(nameof(options.SkipCertificateVerification)), nameof(options.SkipCertificateVerification)) ?? options.SkipCertificateVerification;
        options.DisableTracing = Boolean(section, Get(nameof(options.DisableTracing)), nameof(options.DisableTracing)) ?? options.DisableTracing;
        options.DisableMetrics = Boolean(section, Get(nameof(options.DisableMetrics)), nameof(options.DisableMetrics)) ?? options.DisableMetrics;
        options.HeartbeatInterval = Duration(section, Get(nameof(options.HeartbeatInterval)), nameof(options.HeartbeatInterval)) ?? options.HeartbeatInterval;
        options.ConnectTimeout = Duration(section, Get(nameof(options.ConnectTimeout)), nameof(options.ConnectTimeout)) ?? options.ConnectTimeout;
        options.RequestTimeout = Duration(section, Get(nameof(options.RequestTimeout)), nameof(options.RequestTimeout)) ?? options.RequestTimeout;
        options.SignalPollInterval = Duration(section, Get(nameof(options.SignalPollInterval)), nameof(options.SignalPollInterval)) ?? options.SignalPollInterval;
        options.InProcessSleepThreshold = Duration(section, Get(nameof(options.InProcessSleepThreshold)), nameof(options.InProcessSleepThreshold)) ?? options.InProcessSleepThreshold;
    }

    private static string Key(IConfiguration section, string name) =>
        section is IConfigurationSection s ? $"{s.Path}:{name}" : name;

    private static bool? Boolean(IConfiguration section, string? value, string name) =>
        value is null ? null : InstanceEnvironment.ParseBoolean(Key(section, name), value);

    private static TimeSpan? Duration(IConfiguration section, string? value, string name) =>
        value is null ? null
        : TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) ? span
        : throw new RuntaraConfigurationException(Key(section, name), $"must be a time span such as 00:00:30, got '{value}'");
}

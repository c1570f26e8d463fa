using System.Globalization;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Transport;

namespace Runtara.Sdk;

/// <summary>
/// The environment variables of the launch contract (docs/instance-contract.md) and how they map
/// onto <see cref="RuntaraInstanceOptions"/>. Unlike 1.4.1, which silently fell back to defaults
/// (SPEC §15.1), a value that does not parse is an error naming the variable. The names are defined
/// once, in <see cref="LaunchVariables"/>; the constants here are aliases kept for existing callers.
/// </summary>
public static class InstanceEnvironment
{
    /// <inheritdoc cref="LaunchVariables.InstanceId"/>
    public const string InstanceId = LaunchVariables.InstanceId;

    /// <inheritdoc cref="LaunchVariables.TenantId"/>
    public const string TenantId = LaunchVariables.TenantId;

    /// <inheritdoc cref="LaunchVariables.InstanceToken"/>
    public const string InstanceToken = LaunchVariables.InstanceToken;

    /// <inheritdoc cref="LaunchVariables.ServerAddress"/>
    public const string ServerAddress = LaunchVariables.ServerAddress;

    /// <inheritdoc cref="LaunchVariables.ServerName"/>
    public const string ServerName = LaunchVariables.ServerName;

    /// <inheritdoc cref="LaunchVariables.Transport"/>
    public const string Transport = LaunchVariables.Transport;

    /// <inheritdoc cref="LaunchVariables.PinnedCertificate"/>
    public const string PinnedCertificate = LaunchVariables.PinnedCertificate;

    /// <inheritdoc cref="LaunchVariables.CaCertificate"/>
    public const string CaCertificate = LaunchVariables.CaCertificate;

    /// <inheritdoc cref="LaunchVariables.SkipCertificateVerification"/>
    public const string SkipCertificateVerification = LaunchVariables.SkipCertificateVerification;

    /// <inheritdoc cref="LaunchVariables.CheckpointId"/>
    public const string CheckpointId = LaunchVariables.CheckpointId;

    /// <inheritdoc cref="LaunchVariables.InputPath"/>
    public const string InputPath = LaunchVariables.InputPath;

    /// <inheritdoc cref="LaunchVariables.OutputPath"/>
    public const string OutputPath = LaunchVariables.OutputPath;

    /// <inheritdoc cref="LaunchVariables.WorkspaceDirectory"/>
    public const string WorkspaceDirectory = LaunchVariables.WorkspaceDirectory;

    /// <inheritdoc cref="LaunchVariables.HeartbeatIntervalMs"/>
    public const string HeartbeatIntervalMs = LaunchVariables.HeartbeatIntervalMs;

    /// <inheritdoc cref="LaunchVariables.ConnectTimeoutMs"/>
    public const string ConnectTimeoutMs = LaunchVariables.ConnectTimeoutMs;

    /// <inheritdoc cref="LaunchVariables.RequestTimeoutMs"/>
    public const string RequestTimeoutMs = LaunchVariables.RequestTimeoutMs;

    /// <inheritdoc cref="LaunchVariables.CoreUnavailableToleranceMs"/>
    public const string CoreUnavailableToleranceMs = LaunchVariables.CoreUnavailableToleranceMs;

    /// <inheritdoc cref="LaunchVariables.TraceParent"/>
    public const string TraceParent = LaunchVariables.TraceParent;

    /// <inheritdoc cref="LaunchVariables.TraceState"/>
    public const string TraceState = LaunchVariables.TraceState;

    /// <summary>SPEC §15.1; read by the SDK only (the environment does not set it).</summary>
    public const string SignalPollIntervalMs = LaunchVariables.SignalPollIntervalMs;

    /// <inheritdoc cref="LaunchVariables.WaitGraceMs"/>
    public const string WaitGraceMs = LaunchVariables.WaitGraceMs;

    /// <summary>SDK-only addition: run against the embedded SQLite backend at this path instead of a core.</summary>
    public const string EmbeddedDatabase = LaunchVariables.EmbeddedDatabase;

    /// <inheritdoc cref="LaunchVariables.LaunchFile"/>
    public const string LaunchFile = LaunchVariables.LaunchFile;

    /// <summary>
    /// Applies every variable that is set (non-empty) to <paramref name="options"/>; when <see cref="LaunchFile"/>
    /// names a launch file, its variables win over <paramref name="getVariable"/>'s.
    /// </summary>
    public static void Apply(RuntaraInstanceOptions options, Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(getVariable);
        getVariable = Guarded(() => Protocol.Contracts.LaunchFile.Overlay(getVariable));
        string? Get(string name)
        {
            var value = getVariable(name);
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        options.InstanceId = Get(InstanceId) ?? options.InstanceId;
        options.TenantId = Get(TenantId) ?? options.TenantId;
        options.Token = Get(InstanceToken) ?? options.Token;
        options.ServerAddress = Get(ServerAddress) ?? options.ServerAddress;
        options.ServerName = Get(ServerName) ?? options.ServerName;
        options.PinnedCertificatePath = Get(PinnedCertificate) ?? options.PinnedCertificatePath;
        options.CaCertificatePath = Get(CaCertificate) ?? options.CaCertificatePath;
        options.CheckpointId = Get(CheckpointId) ?? options.CheckpointId;
        options.InputPath = Get(InputPath) ?? options.InputPath;
        options.OutputPath = Get(OutputPath) ?? options.OutputPath;
        options.WorkspaceDirectory = Get(WorkspaceDirectory) ?? options.WorkspaceDirectory;
        options.EmbeddedDatabasePath = Get(EmbeddedDatabase) ?? options.EmbeddedDatabasePath;
        options.TraceParent = Get(TraceParent) ?? options.TraceParent;
        options.TraceState = Get(TraceState) ?? options.TraceState;

        if (Get(Transport) is { } transport)
        {
            options.Transport = transport.ToUpperInvariant() switch
            {
                "AUTO" => TransportKind.Auto,
                "QUIC" => TransportKind.Quic,
                "TCP" => TransportKind.Tcp,
                _ => throw new RuntaraConfigurationException(Transport, $"must be auto, quic or tcp, got '{transport}'"),
            };
        }

        if (Get(SkipCertificateVerification) is { } skip)
        {
            options.SkipCertificateVerification = ParseBoolean(SkipCertificateVerification, skip);
        }

        options.HeartbeatInterval = Milliseconds(Get(HeartbeatIntervalMs), HeartbeatIntervalMs, allowZero: true) ?? options.HeartbeatInterval;
        options.ConnectTimeout = Milliseconds(Get(ConnectTimeoutMs), ConnectTimeoutMs, allowZero: false) ?? options.ConnectTimeout;
        options.RequestTimeout = Milliseconds(Get(RequestTimeoutMs), RequestTimeoutMs, allowZero: false) ?? options.RequestTimeout;
        options.CoreUnavailableTolerance = Milliseconds(Get(CoreUnavailableToleranceMs), CoreUnavailableToleranceMs, allowZero: true) ?? options.CoreUnavailableTolerance;
        options.SignalPollInterval = Milliseconds(Get(SignalPollIntervalMs), SignalPollIntervalMs, allowZero: false) ?? options.SignalPollInterval;
        options.WaitGracePeriod = Milliseconds(Get(WaitGraceMs), WaitGraceMs, allowZero: true) ?? options.WaitGracePeriod;
    }

    /// <summary>
    /// Sets the launch file's variables (if <see cref="LaunchFile"/> names one) in this process's environment,
    /// so the workflow's own reads (custom variables) see the run's values; a warm container's environment
    /// was fixed before its run was known.
    /// </summary>
    /// <remarks>In a warm process the read waits for the run; meanwhile <see cref="Hosting.WarmStart"/> prepares the connection.</remarks>
    public static void ApplyLaunchFileToProcess()
    {
        Hosting.WarmStart.StartIfAwaitingRun();
        Guarded(Protocol.Contracts.LaunchFile.ApplyToProcessEnvironment);
    }

    private static T Guarded<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new RuntaraConfigurationException(LaunchFile, ex.Message);
        }
    }

    /// <summary><c>true</c>/<c>1</c>/<c>yes</c>/<c>on</c> or <c>false</c>/<c>0</c>/<c>no</c>/<c>off</c>, any case.</summary>
    internal static bool ParseBoolean(string name, string value) => value.ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" or "ON" => true,
        "FALSE" or "0" or "NO" or "OFF" => false,
        _ => throw new RuntaraConfigurationException(name, $"must be true or false, got '{value}'"),
    };

    private static TimeSpan? Milliseconds(string? value, string name, bool allowZero)
    {
        if (value is null)
        {
            return null;
        }

        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || (ms == 0 && !allowZero) || ms > int.MaxValue)
        {
            throw new RuntaraConfigurationException(name, $"must be a whole number of milliseconds{(allowZero ? string.Empty : " above 0")}, got '{value}'");
        }

        return TimeSpan.FromMilliseconds(ms);
    }
}

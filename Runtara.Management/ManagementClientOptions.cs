using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Runtara.Protocol.Transport;

namespace Runtara.Management;

/// <summary>
/// Settings of the management client (SPEC §16.1). Bound from <c>Runtara:Management</c> by the DI
/// registration, or read from <c>RUNTARA_*</c> environment variables by <see cref="FromEnvironment"/>.
/// Certificate verification is on by default.
/// </summary>
public sealed class ManagementClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Runtara:Management";

    /// <summary>Environment address: <c>host:port</c>, <c>[v6]:port</c> or <c>tcp://host:port</c> (default <c>127.0.0.1:8002</c>).</summary>
    [Required]
    public string Address { get; set; } = "127.0.0.1:8002";

    /// <summary>TLS name to verify; default: the host, or <c>localhost</c> for IP literals.</summary>
    public string? ServerName { get; set; }

    /// <summary>Auto (QUIC where supported, else TLS/TCP), Tcp or Quic.</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>PEM certificate to pin (how a development certificate is trusted).</summary>
    public string? PinnedCertificatePath { get; set; }

    /// <summary>
    /// SHA-256 fingerprint (64 hex digits, colons allowed) of the certificate to pin: the same trust as
    /// <see cref="PinnedCertificatePath"/> without the file, for a client in a container or on another machine.
    /// </summary>
    public string? PinnedCertificateSha256 { get; set; }

    /// <summary>PEM CA bundle to trust instead of the system store.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Accepts any certificate (dangerous; logged by the RPC layer).</summary>
    public bool SkipCertificateVerification { get; set; }

    /// <summary>Connect and handshake timeout (SPEC: 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of each call (SPEC: 30 s); long operations (stop, uploads) extend it themselves.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The API key presented on every call (<c>RUNTARA_API_KEY</c>); the environment refuses calls
    /// without one. Scoped keys only reach their tenants. Never logged. When empty and
    /// <see cref="PinnedCertificatePath"/> is an environment's development certificate
    /// (<c>&lt;data&gt;/tls/runtara-dev.crt</c>), the key it generated in <c>&lt;data&gt;/security/admin.apikey</c>
    /// is used (local runs). See docs/security.md.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Tenant used by calls that take a tenant when none is given.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// Reads <c>RUNTARA_ENVIRONMENT_ADDR</c>, <c>RUNTARA_SERVER_NAME</c>, <c>RUNTARA_TRANSPORT</c>,
    /// <c>RUNTARA_TLS_PINNED_CERT</c>, <c>RUNTARA_TLS_PINNED_CERT_SHA256</c>, <c>RUNTARA_TLS_CA_CERT</c>, <c>RUNTARA_SKIP_CERT_VERIFICATION</c>,
    /// <c>RUNTARA_CONNECT_TIMEOUT_MS</c>, <c>RUNTARA_REQUEST_TIMEOUT_MS</c>, <c>RUNTARA_TENANT_ID</c> and <c>RUNTARA_API_KEY</c>.
    /// An unparseable number is a configuration error naming the variable.
    /// </summary>
    public static ManagementClientOptions FromEnvironment(Func<string, string?>? read = null)
    {
        read ??= System.Environment.GetEnvironmentVariable;
        var options = new ManagementClientOptions();
        if (read("RUNTARA_ENVIRONMENT_ADDR") is { Length: > 0 } address)
        {
            options.Address = address;
        }

        options.ServerName = NullIfEmpty(read("RUNTARA_SERVER_NAME"));
        options.PinnedCertificatePath = NullIfEmpty(read("RUNTARA_TLS_PINNED_CERT"));
        options.PinnedCertificateSha256 = NullIfEmpty(read("RUNTARA_TLS_PINNED_CERT_SHA256"));
        options.CaCertificatePath = NullIfEmpty(read("RUNTARA_TLS_CA_CERT"));
        options.TenantId = NullIfEmpty(read("RUNTARA_TENANT_ID"));
        options.ApiKey = NullIfEmpty(read("RUNTARA_API_KEY"));
        options.SkipCertificateVerification = read("RUNTARA_SKIP_CERT_VERIFICATION") is { } skip
            && (skip.Equals("true", StringComparison.OrdinalIgnoreCase) || skip == "1");
        if (read("RUNTARA_TRANSPORT") is { Length: > 0 } transport)
        {
            options.Transport = Enum.TryParse<TransportKind>(transport, ignoreCase: true, out var kind)
                ? kind
                : throw new ManagementConfigurationException("RUNTARA_TRANSPORT", $"must be auto, tcp or quic, got '{transport}'");
        }

        options.ConnectTimeout = Milliseconds(read, "RUNTARA_CONNECT_TIMEOUT_MS") ?? options.ConnectTimeout;
        options.RequestTimeout = Milliseconds(read, "RUNTARA_REQUEST_TIMEOUT_MS") ?? options.RequestTimeout;
        return options;
    }

    private static TimeSpan? Milliseconds(Func<string, string?> read, string name)
    {
        var text = read(name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : throw new ManagementConfigurationException(name, $"must be a positive number of milliseconds, got '{text}'");
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

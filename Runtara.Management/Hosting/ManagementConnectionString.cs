using System.Data.Common;
using Runtara.Protocol.Transport;

namespace Runtara.Management;

/// <summary>
/// The connection string of an environment: either a bare address (<c>127.0.0.1:8002</c>,
/// <c>tcp://localhost:8002</c>) or key/value pairs as the Aspire hosting integration writes them,
/// <c>Endpoint=tcp://localhost:8002;PinnedCertificatePath=/…/tls/runtara-dev.crt;PinnedCertificateSha256=3F…9A</c>.
/// Keys (any case): Endpoint (or Address), PinnedCertificatePath, PinnedCertificateSha256, CaCertificatePath,
/// ServerName, Transport, TenantId, ApiKey.
/// </summary>
public static class ManagementConnectionString
{
    /// <summary>Applies <paramref name="connectionString"/> to <paramref name="options"/>; an unknown key or bad value is a configuration error naming it.</summary>
    public static void Apply(string connectionString, ManagementClientOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        if (!connectionString.Contains('=', StringComparison.Ordinal))
        {
            options.Address = connectionString.Trim();
            return;
        }

        DbConnectionStringBuilder pairs;
        try
        {
            pairs = new DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException ex)
        {
            throw new ManagementConfigurationException("The connection string", $"is not a list of key=value pairs: {ex.Message}");
        }

        foreach (string key in pairs.Keys)
        {
            var value = Convert.ToString(pairs[key], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            switch (key.ToUpperInvariant())
            {
                case "ENDPOINT" or "ADDRESS":
                    options.Address = value;
                    break;
                case "PINNEDCERTIFICATEPATH":
                    options.PinnedCertificatePath = value;
                    break;
                case "PINNEDCERTIFICATESHA256":
                    // Empty when the AppHost wrote the connection string before the certificate existed.
                    options.PinnedCertificateSha256 = value.Length == 0 ? null : value;
                    break;
                case "CACERTIFICATEPATH":
                    options.CaCertificatePath = value;
                    break;
                case "SERVERNAME":
                    options.ServerName = value;
                    break;
                case "APIKEY":
                    options.ApiKey = value;
                    break;
                case "TENANTID":
                    options.TenantId = value;
                    break;
                case "TRANSPORT":
                    options.Transport = Enum.TryParse<TransportKind>(value, ignoreCase: true, out var transport)
                        ? transport
                        : throw new ManagementConfigurationException($"Connection string key '{key}'", $"must be Auto, Tcp or Quic, got '{value}'");
                    break;
                default:
                    throw new ManagementConfigurationException($"Connection string key '{key}'", "is not known (Endpoint, PinnedCertificatePath, PinnedCertificateSha256, CaCertificatePath, ServerName, Transport, TenantId, ApiKey)");
            }
        }
    }
}

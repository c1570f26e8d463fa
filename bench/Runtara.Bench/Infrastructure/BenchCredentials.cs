using Runtara.Management;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Bench.Infrastructure;

/// <summary>Credentials from what the servers generate in their data directories (docs/security.md).</summary>
internal static class BenchCredentials
{
    /// <summary>A service token (any instance) for the keys of a core's data directory.</summary>
    public static string ServiceToken(string coreDataDirectory) =>
        TokenKeyRingLoader.Load(new TokenKeyOptions(), "bench", coreDataDirectory, out _)
            .MintService(DateTimeOffset.UtcNow.AddDays(1));

    /// <summary>The all-tenant API key an environment generated into its data directory.</summary>
    public static string ApiKey(string environmentDataDirectory) =>
        File.ReadAllText(Path.Combine(environmentDataDirectory, "security", "admin.apikey")).Trim();

    /// <summary>A management client of the environment on 127.0.0.1:<paramref name="port"/> that <paramref name="environmentDataDirectory"/> belongs to, acting for <paramref name="tenantId"/>.</summary>
    public static RuntaraManagementClient EnvironmentClient(string environmentDataDirectory, int port, string tenantId) => new(new ManagementClientOptions
    {
        Address = $"127.0.0.1:{port}",
        Transport = TransportKind.Tcp,
        ApiKey = ApiKey(environmentDataDirectory),
        PinnedCertificatePath = DevelopmentCertificate.CertificatePath(Path.Combine(environmentDataDirectory, "tls")),
        TenantId = tenantId,
    });
}

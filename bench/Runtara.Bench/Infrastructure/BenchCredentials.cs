using Runtara.Protocol.Security;

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
}

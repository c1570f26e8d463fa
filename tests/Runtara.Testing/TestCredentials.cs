using Runtara.Protocol.Security;

namespace Runtara.Testing;

/// <summary>
/// Credentials for tests, taken from what the servers generate on first start (the zero-setup path
/// of docs/security.md): the token key file in a data directory and the environment's generated API key.
/// </summary>
public static class TestCredentials
{
    /// <summary>The path of the generated all-tenant API key under an environment's data directory.</summary>
    public static string ApiKeyFile(string environmentDataDirectory) => Path.Combine(environmentDataDirectory, "security", "admin.apikey");

    /// <summary>The token key file under a core's (or environment's) data directory.</summary>
    public static string KeyFile(string dataDirectory) => TokenKeyRingLoader.DefaultKeyFile(dataDirectory);

    /// <summary>The key ring of a data directory (generated when the server has not started yet).</summary>
    public static TokenKeyRing Keys(string dataDirectory) => TokenKeyRingLoader.Load(new TokenKeyOptions(), "test", dataDirectory, out _);

    /// <summary>A service token (any instance; the management protocol) valid for a day, in the one shape the core accepts (the environment's).</summary>
    public static string ServiceToken(string dataDirectory) =>
        Keys(dataDirectory).MintService(DateTimeOffset.UtcNow.AddDays(1));

    /// <summary>An instance token for one instance of one tenant.</summary>
    public static string InstanceToken(string dataDirectory, string instanceId, string tenantId, TimeSpan? lifetime = null) =>
        Keys(dataDirectory).Mint(TokenKind.Instance, instanceId, tenantId, DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromHours(1)));

    /// <summary>
    /// The settings that make another core use the token key file and development certificate a first core generated
    /// in <paramref name="primaryCoreData"/> (docs/security.md: several cores of one deployment share both), as
    /// configuration keys (prefix <c>--</c> for a command line).
    /// </summary>
    public static IReadOnlyDictionary<string, string> SharedCoreSecrets(string primaryCoreData) => new Dictionary<string, string>
    {
        ["Runtara:Core:Security:KeyFile"] = KeyFile(primaryCoreData),
        ["Runtara:Core:Tls:DevelopmentCertificateDirectory"] = Path.Combine(primaryCoreData, "tls"),
    };

    /// <summary>The API key an environment generated into its data directory.</summary>
    public static string ApiKey(string environmentDataDirectory) => File.ReadAllText(ApiKeyFile(environmentDataDirectory)).Trim();
}

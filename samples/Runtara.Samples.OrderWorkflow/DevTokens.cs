using Runtara.Protocol.Security;

namespace Runtara.Samples.OrderWorkflow;

/// <summary>
/// Instance tokens for running the samples straight against a core, without an environment (which
/// normally mints them): minted from the core's key file <c>RUNTARA_KEY_FILE</c> (default
/// <c>./data/security/runtara.keys</c>). Development only:
/// whoever holds the key file can act on every instance. See docs/security.md.
/// </summary>
public static class DevTokens
{
    /// <summary>An instance token for <c>RUNTARA_INSTANCE_TOKEN</c>, valid for a day.</summary>
    public static string Instance(string instanceId, string tenantId) =>
        Keys().Mint(TokenKind.Instance, instanceId, tenantId, DateTimeOffset.UtcNow.AddDays(1));

    private static TokenKeyRing Keys()
    {
        var keyFile = Path.GetFullPath(System.Environment.GetEnvironmentVariable("RUNTARA_KEY_FILE") ?? Path.Combine("data", "security", "runtara.keys"));
        if (!File.Exists(keyFile))
        {
            // Never generate one here: a new key would not match the core's.
            throw new FileNotFoundException($"Set RUNTARA_KEY_FILE to the core's key file ({keyFile} does not exist).", keyFile);
        }

        return TokenKeyRingLoader.Load(new TokenKeyOptions { KeyFile = keyFile }, "RUNTARA_KEY_FILE", Directory.GetCurrentDirectory(), out _);
    }
}

using Runtara.Protocol.Security;
using Runtara.Protocol.Tests.Infrastructure;

namespace Runtara.Protocol.Tests.Security;

/// <summary>Token minting and verification: binding, expiry, forgery, tampering, rotation, key files.</summary>
public sealed class TokenKeyRingTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static TokenKeyRing Ring(params string[] ids) =>
        new(ids.ToDictionary(id => id, id => Convert.FromBase64String(TokenKeyRing.NewSecret())), ids[^1]);

    [Fact]
    public void A_minted_token_verifies_with_its_claims()
    {
        var ring = Ring("k1");
        var token = ring.Mint(TokenKind.Instance, "inst-1", "tenant-a", Now.AddMinutes(5));

        Assert.True(ring.TryVerify(token, Now, out var claims, out _));
        Assert.Equal(new TokenClaims(TokenKind.Instance, "inst-1", "tenant-a", Now.AddMinutes(5).ToUnixTimeMilliseconds(), "k1"), claims);
    }

    [Fact]
    public void Only_the_canonical_spelling_of_a_token_verifies()
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var ring = Ring("k1");
        var token = ring.Mint(TokenKind.Instance, "inst-1", "tenant-a", Now.AddMinutes(5));

        // A 32-byte MAC is 43 characters whose last one carries 2 unused bits: setting them spells the
        // same bytes, which a lenient decoder accepts.
        var last = Alphabet.IndexOf(token[^1], StringComparison.Ordinal);
        var sameBytes = token[..^1] + Alphabet[(last & ~3) | ((last & 3) == 0 ? 1 : 0)];
        foreach (var altered in new[] { token + "=", token + "==", sameBytes, token.Replace('-', '+').Replace('_', '/') + "+" })
        {
            Assert.False(ring.TryVerify(altered, Now, out _, out var failure), altered);
            Assert.Contains("not a Runtara token", failure, StringComparison.Ordinal);
        }

        Assert.True(ring.TryVerify(token, Now, out _, out _));
    }

    [Fact]
    public void An_expired_token_is_refused()
    {
        var ring = Ring("k1");
        var token = ring.Mint(TokenKind.Instance, "inst-1", "tenant-a", Now.AddSeconds(1));
        Assert.False(ring.TryVerify(token, Now.AddSeconds(1), out _, out var failure));
        Assert.Contains("expired", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_signed_with_another_key_or_tampered_with_is_refused()
    {
        var ring = Ring("k1");
        var forged = new TokenKeyRing(new Dictionary<string, byte[]> { ["k1"] = Convert.FromBase64String(TokenKeyRing.NewSecret()) }, "k1")
            .Mint(TokenKind.Service, "environment", string.Empty, Now.AddHours(1));
        Assert.False(ring.TryVerify(forged, Now, out _, out _));

        var genuine = ring.Mint(TokenKind.Instance, "inst-1", "tenant-a", Now.AddHours(1));
        TokenKeyRing.TryReadClaims(genuine, out var claims);
        // Re-encode the payload for another instance but keep the original signature.
        var parts = genuine.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1]))).Replace("inst-1", "inst-2", StringComparison.Ordinal);
        var tampered = $"rt1.{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.{parts[2]}";
        Assert.True(TokenKeyRing.TryReadClaims(tampered, out var tamperedClaims));
        Assert.Equal("inst-2", tamperedClaims!.Subject);
        Assert.False(ring.TryVerify(tampered, Now, out _, out var failure));
        Assert.Contains("signature", failure, StringComparison.Ordinal);
        Assert.Equal("inst-1", claims!.Subject);

        foreach (var garbage in new[] { string.Empty, "rt1.", "rt1.x.y", "rt2.abc.def", "rt1.!!!.???", genuine + "x", genuine[..^3] })
        {
            Assert.False(ring.TryVerify(garbage, Now, out _, out _));
        }
    }

    [Fact]
    public void Rotation_signs_with_the_new_key_and_still_accepts_the_old_until_it_is_removed()
    {
        var oldSecret = Convert.FromBase64String(TokenKeyRing.NewSecret());
        var newSecret = Convert.FromBase64String(TokenKeyRing.NewSecret());
        var before = new TokenKeyRing(new Dictionary<string, byte[]> { ["old"] = oldSecret }, "old");
        var during = new TokenKeyRing(new Dictionary<string, byte[]> { ["old"] = oldSecret, ["new"] = newSecret }, "new");
        var after = new TokenKeyRing(new Dictionary<string, byte[]> { ["new"] = newSecret }, "new");

        var oldToken = before.Mint(TokenKind.Instance, "i", "t", Now.AddHours(1));
        var newToken = during.Mint(TokenKind.Instance, "i", "t", Now.AddHours(1));
        TokenKeyRing.TryReadClaims(newToken, out var claims);
        Assert.Equal("new", claims!.KeyId);
        Assert.True(during.TryVerify(oldToken, Now, out _, out _));
        Assert.True(after.TryVerify(newToken, Now, out _, out _));
        Assert.False(after.TryVerify(oldToken, Now, out _, out var failure));
        Assert.Contains("'old'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_keys_and_unknown_signing_keys_are_configuration_errors()
    {
        Assert.Throws<ArgumentException>(() => new TokenKeyRing(new Dictionary<string, byte[]> { ["k"] = new byte[16] }, "k"));
        Assert.Throws<ArgumentException>(() => new TokenKeyRing(new Dictionary<string, byte[]> { ["k"] = new byte[32] }, "other"));
        var several = new TokenKeyOptions { Keys = { ["a"] = TokenKeyRing.NewSecret(), ["b"] = TokenKeyRing.NewSecret() } };
        var error = Assert.Throws<InvalidOperationException>(() => TokenKeyRingLoader.Load(several, "Runtara:Core:Security", Path.GetTempPath(), out _));
        Assert.Contains("Runtara:Core:Security:SigningKeyId", error.Message, StringComparison.Ordinal);
        var notBase64 = new TokenKeyOptions { Keys = { ["a"] = "not base64!" } };
        Assert.Contains("Runtara:Core:Security:Keys:a", Assert.Throws<InvalidOperationException>(() => TokenKeyRingLoader.Load(notBase64, "Runtara:Core:Security", Path.GetTempPath(), out _)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_key_file_is_generated_once_owner_only_and_shared_by_every_reader()
    {
        using var directory = new TestCertificates();
        var first = TokenKeyRingLoader.Load(new TokenKeyOptions(), "s", directory.Directory, out var source);
        var second = TokenKeyRingLoader.Load(new TokenKeyOptions(), "s", directory.Directory, out _);
        Assert.Equal(TokenKeyRingLoader.DefaultKeyFile(directory.Directory), source);
        var token = first.Mint(TokenKind.Service, "environment", string.Empty, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(second.TryVerify(token, DateTimeOffset.UtcNow, out _, out _));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(source));
            // The folder it made for the secret is the owner's alone too (instances may pass through the data directory).
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(source)!));
        }
    }

    [Fact]
    public void A_sqlite_database_and_its_companion_files_are_made_owner_only()
    {
        using var directory = new TestCertificates();
        var database = Path.Combine(directory.Directory, "core.db");
        File.WriteAllText(database, "db");
        File.WriteAllText(database + "-wal", "wal");

        SecretFile.RestrictDatabase(database);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database + "-wal"));
            Assert.False(File.Exists(database + "-shm"));
        }
    }

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
    }
}

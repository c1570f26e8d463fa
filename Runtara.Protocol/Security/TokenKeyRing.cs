using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Runtara.Protocol.Security;

/// <summary>What a token is for.</summary>
public enum TokenKind
{
    /// <summary>One instance of one tenant (minted by the environment at launch, renewed by the core).</summary>
    Instance,

    /// <summary>A trusted service (the environment) acting on any instance.</summary>
    Service,
}

/// <summary>The verified (or, client-side, merely read) content of a token.</summary>
public sealed record TokenClaims(TokenKind Kind, string Subject, string TenantId, long ExpiresAtMs, string KeyId);

/// <summary>
/// Mints and verifies Runtara tokens: <c>rt1.&lt;payload&gt;.&lt;mac&gt;</c>, both base64url, where the
/// payload is <c>kind \n key id \n expiry ms \n subject \n tenant</c> and the MAC is HMAC-SHA256 over
/// <c>rt1.&lt;payload&gt;</c> with the key named in the payload. Any configured key verifies; the
/// signing key signs. The payload is not secret (the SDK reads its expiry to renew in time).
/// </summary>
public sealed class TokenKeyRing
{
    private const string Prefix = "rt1.";
    private const int MinimumSecretBytes = 32;
    private readonly Dictionary<string, byte[]> _keys;
    private readonly string _signingKeyId;

    /// <summary>Creates a key ring from named HMAC keys.</summary>
    /// <param name="keys">Key id to secret; every key verifies. Ids are single-line; secrets are at least 32 bytes.</param>
    /// <param name="signingKeyId">The id of the key that signs new tokens; it must be in <paramref name="keys"/>.</param>
    /// <exception cref="ArgumentException">A key id is empty or spans lines, a secret is shorter than 32 bytes, or the signing key is missing.</exception>
    public TokenKeyRing(IReadOnlyDictionary<string, byte[]> keys, string signingKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentException.ThrowIfNullOrEmpty(signingKeyId);
        foreach (var (id, secret) in keys)
        {
            if (string.IsNullOrWhiteSpace(id) || id.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException("A key id must be non-empty and on one line.", nameof(keys));
            }

            if (secret.Length < MinimumSecretBytes)
            {
                throw new ArgumentException($"Key '{id}' has {secret.Length} bytes; at least {MinimumSecretBytes} are required.", nameof(keys));
            }
        }

        if (!keys.ContainsKey(signingKeyId))
        {
            throw new ArgumentException($"The signing key '{signingKeyId}' is not among the configured keys.", nameof(signingKeyId));
        }

        _keys = keys.ToDictionary(k => k.Key, k => k.Value.ToArray(), StringComparer.Ordinal);
        _signingKeyId = signingKeyId;
    }

    /// <summary>
    /// The only subject a service token may carry (the environment's); the core refuses service
    /// tokens with another subject or with a tenant, so a key holder cannot mint look-alikes that
    /// logs would attribute to someone else or that suggest a tenant scope they do not have.
    /// </summary>
    public const string ServiceSubject = "environment";

    /// <summary>The id of the key that signs.</summary>
    public string SigningKeyId => _signingKeyId;

    /// <summary>The ids of every key that verifies.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Mints a token signed with the signing key.</summary>
    public string Mint(TokenKind kind, string subject, string tenantId, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(tenantId);
        if (subject.Contains('\n', StringComparison.Ordinal) || tenantId.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("Token subjects and tenants are single-line ids.");
        }

        var payload = string.Join('\n', kind == TokenKind.Instance ? "i" : "s", _signingKeyId, expiresAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), subject, tenantId);
        var signed = Prefix + Base64Url(Encoding.UTF8.GetBytes(payload));
        return signed + "." + Base64Url(HMACSHA256.HashData(_keys[_signingKeyId], Encoding.ASCII.GetBytes(signed)));
    }

    /// <summary>Mints the service token the core accepts: subject <see cref="ServiceSubject"/>, no tenant.</summary>
    public string MintService(DateTimeOffset expiresAt) => Mint(TokenKind.Service, ServiceSubject, string.Empty, expiresAt);

    /// <summary>True when <paramref name="claims"/> has the one shape a service token may have: subject <see cref="ServiceSubject"/> and no tenant.</summary>
    public static bool IsServiceShape(TokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return claims.Kind == TokenKind.Service
            && string.Equals(claims.Subject, ServiceSubject, StringComparison.Ordinal)
            && claims.TenantId.Length == 0;
    }

    /// <summary>Verifies signature and expiry; <paramref name="failure"/> says why not (never quoting the token).</summary>
    public bool TryVerify(string token, DateTimeOffset now, out TokenClaims? claims, out string failure)
    {
        claims = null;
        if (!TryReadClaims(token, out var read, out var signedLength, out var mac))
        {
            failure = "the credential is not a Runtara token";
            return false;
        }

        if (!_keys.TryGetValue(read!.KeyId, out var key))
        {
            failure = $"the token was signed with key '{read.KeyId}', which is not configured here";
            return false;
        }

        var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(token[..signedLength]));
        if (!CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            failure = "the token's signature is invalid (forged, tampered with, or signed with another key)";
            return false;
        }

        if (read.ExpiresAtMs <= now.ToUnixTimeMilliseconds())
        {
            failure = $"the token expired at {DateTimeOffset.FromUnixTimeMilliseconds(read.ExpiresAtMs):O}";
            return false;
        }

        claims = read;
        failure = string.Empty;
        return true;
    }

    /// <summary>Reads a token's claims without verifying it (clients use it to see when to renew).</summary>
    public static bool TryReadClaims(string? token, out TokenClaims? claims) => TryReadClaims(token, out claims, out _, out _);

    /// <summary>Generates a random secret of the recommended size, base64-encoded.</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinimumSecretBytes));

    private static bool TryReadClaims(string? token, out TokenClaims? claims, out int signedLength, out byte[] mac)
    {
        claims = null;
        signedLength = 0;
        mac = [];
        if (token is null || token.Length > 4096 || !token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var dot = token.IndexOf('.', Prefix.Length);
        if (dot < 0 || token.IndexOf('.', dot + 1) >= 0)
        {
            return false;
        }

        byte[] payload;
        try
        {
            payload = FromBase64Url(token.AsSpan(Prefix.Length, dot - Prefix.Length));
            mac = FromBase64Url(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
        }
        catch (ArgumentException)
        {
            return false;
        }

        var parts = text.Split('\n');
        if (parts.Length != 5 || parts[0] is not ("i" or "s") || parts[1].Length == 0 || parts[3].Length == 0
            || !long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expires))
        {
            return false;
        }

        claims = new TokenClaims(parts[0] == "i" ? TokenKind.Instance : TokenKind.Service, parts[3], parts[4], expires, parts[1]);
        signedLength = dot;
        return true;
    }

    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Strict base64url without padding: only the canonical encoding of the bytes is accepted (no
    /// <c>=</c>, no <c>+</c> or <c>/</c>, no set bits after the last byte), so one token has exactly one
    /// spelling and an altered MAC or payload never verifies.
    /// </summary>
    private static byte[] FromBase64Url(ReadOnlySpan<char> text)
    {
        if (text.ContainsAnyExcept(Base64UrlAlphabet))
        {
            throw new FormatException("not base64url without padding");
        }

        var padded = new StringBuilder(text.Length + 3).Append(text).Replace('-', '+').Replace('_', '/');
        while (padded.Length % 4 != 0)
        {
            padded.Append('=');
        }

        var bytes = Convert.FromBase64String(padded.ToString());
        return Base64Url(bytes).AsSpan().SequenceEqual(text) ? bytes : throw new FormatException("not the canonical base64url encoding");
    }
}

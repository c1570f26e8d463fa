namespace Runtara.Protocol.Security;

/// <summary>
/// The HMAC keys that sign and verify instance and service tokens, bound from
/// <c>Runtara:Core:Security</c> and <c>Runtara:Environment:Security</c> (the same key material on
/// both). See docs/security.md.
/// </summary>
public sealed class TokenKeyOptions
{
    /// <summary>
    /// Keys by id: <c>Keys:&lt;id&gt; = &lt;base64 secret of at least 32 bytes&gt;</c>. Every key verifies;
    /// <see cref="SigningKeyId"/> signs. Rotate by adding the new key everywhere, then making it the
    /// signing key, then (after the longest token lifetime) removing the old one.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The key that signs new tokens; required when more than one key is configured.</summary>
    public string? SigningKeyId { get; set; }

    /// <summary>
    /// Used when <see cref="Keys"/> is empty: a file of <c>id=base64secret</c> lines (the last line
    /// signs). When absent it is generated with one random key (mode 0600). Default:
    /// <c>&lt;data&gt;/security/runtara.keys</c>, so a core and an environment sharing a data
    /// directory share keys with no set-up.
    /// </summary>
    public string? KeyFile { get; set; }
}

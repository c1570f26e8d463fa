using Runtara.Protocol.Security;

namespace Runtara.Environment.Security;

/// <summary>
/// Mints the environment's tokens with the shared keys: an instance token per launch (bound to the
/// instance, its tenant and an expiry) and the service token it presents to the core, re-minted
/// once half its lifetime has passed.
/// </summary>
internal sealed class TokenIssuer(TokenKeyRing keys, TimeProvider time, TimeSpan instanceLifetime, TimeSpan serviceLifetime)
{
    /// <summary>The subject of the environment's service token (shown in the core's logs).</summary>
    public const string ServiceName = TokenKeyRing.ServiceSubject;

    private readonly Lock _lock = new();
    private string? _serviceToken;
    private DateTimeOffset _renewAt;

    /// <summary>A token for one instance of one tenant, for <c>RUNTARA_INSTANCE_TOKEN</c>.</summary>
    public string MintInstanceToken(string instanceId, string tenantId) =>
        keys.Mint(TokenKind.Instance, instanceId, tenantId, time.GetUtcNow() + instanceLifetime);

    /// <summary>The current service token (cheap: a cached string until it reaches half-life).</summary>
    public string ServiceToken()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_serviceToken is null || now >= _renewAt)
            {
                _serviceToken = keys.MintService(now + serviceLifetime);
                _renewAt = now + (serviceLifetime / 2);
            }

            return _serviceToken;
        }
    }
}

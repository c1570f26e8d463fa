using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;

namespace Runtara.Core.Security;

/// <summary>An identity proven by a Runtara token.</summary>
internal sealed class TokenIdentity(TokenClaims claims) : RpcIdentity(claims.ExpiresAtMs)
{
    public TokenClaims Claims { get; } = claims;

    public bool IsService => Claims.Kind == TokenKind.Service;

    public override string ToString() => IsService
        ? $"service '{Claims.Subject}'"
        : $"instance '{Claims.Subject}' of tenant '{Claims.TenantId}'";
}

/// <summary>Token verification shared by both protocols of the core: the signature, the expiry, and the kinds a port accepts.</summary>
internal abstract class TokenAuthenticator(TokenKeyRing keys, TimeProvider time, bool acceptInstanceTokens)
{
    protected TokenKeyRing Keys => keys;

    public RpcIdentity Authenticate(string credential)
    {
        if (string.IsNullOrEmpty(credential))
        {
            throw new RpcException(RpcErrorCodes.Unauthenticated, acceptInstanceTokens
                ? "this RPC needs a credential: the instance token (RUNTARA_INSTANCE_TOKEN) in the envelope's credential field"
                : "the management protocol needs the environment's service token in the envelope's credential field");
        }

        if (!keys.TryVerify(credential, time.GetUtcNow(), out var claims, out var failure))
        {
            throw new RpcException(RpcErrorCodes.Unauthenticated, failure);
        }

        // A service token may act on every instance, so only the exact shape the environment mints
        // passes; any other subject or a tenant is not a credential this core issues or trusts.
        if (claims!.Kind == TokenKind.Service && !TokenKeyRing.IsServiceShape(claims))
        {
            throw new RpcException(RpcErrorCodes.Unauthenticated, $"a service token must have the subject '{TokenKeyRing.ServiceSubject}' and no tenant");
        }

        if (claims.Kind == TokenKind.Instance && !acceptInstanceTokens)
        {
            throw new RpcException(RpcErrorCodes.PermissionDenied, "an instance token does not grant the management protocol; it needs a service token");
        }

        return new TokenIdentity(claims);
    }
}

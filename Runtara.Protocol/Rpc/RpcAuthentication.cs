namespace Runtara.Protocol.Rpc;

/// <summary>
/// Who a verified credential speaks for. A server's <see cref="IRpcAuthenticator{TRequest}"/> makes
/// one from the credential in a request envelope; the RPC server caches it on the connection until a
/// different credential arrives, so unchanged credentials cost a string comparison per call.
/// </summary>
public abstract class RpcIdentity
{
    /// <param name="expiresAtMs">Unix milliseconds after which the identity is no longer accepted; <see cref="long.MaxValue"/> when it never expires.</param>
    protected RpcIdentity(long expiresAtMs) => ExpiresAtMs = expiresAtMs;

    /// <summary>Unix milliseconds after which the credential is rejected with UNAUTHENTICATED.</summary>
    public long ExpiresAtMs { get; }

    /// <summary>A description for logs and errors; never the credential itself.</summary>
    public abstract override string ToString();
}

/// <summary>Authentication and authorization of one protocol's calls, run by the RPC server before the handler.</summary>
public interface IRpcAuthenticator<TRequest>
{
    /// <summary>
    /// Verifies <paramref name="credential"/> (empty when the caller sent none). Called only when the
    /// credential differs from the last one verified on the connection. Throws an
    /// <see cref="RpcException"/> with <c>UNAUTHENTICATED</c> when it is missing, malformed, forged or expired.
    /// </summary>
    RpcIdentity Authenticate(string credential);

    /// <summary>Checks one call against the identity; throws an <see cref="RpcException"/> with <c>PERMISSION_DENIED</c>.</summary>
    void Authorize(RpcIdentity identity, TRequest request);
}

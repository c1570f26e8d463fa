using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Security;

/// <summary>The management protocol (environment → core): every call needs a valid service token.</summary>
internal sealed class ManagementAuthenticator(TokenKeyRing keys, TimeProvider time)
    : TokenAuthenticator(keys, time, acceptInstanceTokens: false), IRpcAuthenticator<Mgmt.RpcRequest>
{
    public void Authorize(RpcIdentity identity, Mgmt.RpcRequest request)
    {
        // Authenticate admits service tokens only; a service may manage every instance.
    }
}

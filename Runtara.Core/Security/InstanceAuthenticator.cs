using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;

namespace Runtara.Core.Security;

/// <summary>
/// The instance protocol: an instance token authorizes only RPCs about its own instance (and, to
/// register, its own tenant); a service token (the environment, tests, benchmarks) any instance.
/// The check compares ids the request already holds: no allocation on the checkpoint path.
/// </summary>
internal sealed class InstanceAuthenticator(TokenKeyRing keys, TimeProvider time)
    : TokenAuthenticator(keys, time, acceptInstanceTokens: true), IRpcAuthenticator<RpcRequest>
{
    public void Authorize(RpcIdentity identity, RpcRequest request)
    {
        var token = (TokenIdentity)identity;
        if (token.IsService)
        {
            return;
        }

        var own = token.Claims.Subject;
        switch (request.RequestCase)
        {
            case RpcRequest.RequestOneofCase.RegisterInstance:
                Require(token, request.RegisterInstance.InstanceId);
                if (!string.Equals(request.RegisterInstance.TenantId, token.Claims.TenantId, StringComparison.Ordinal))
                {
                    throw new RpcException(RpcErrorCodes.PermissionDenied, $"the token of {token} cannot register the instance for tenant '{request.RegisterInstance.TenantId}'");
                }

                break;
            case RpcRequest.RequestOneofCase.InstanceEventBatch:
                foreach (var instanceEvent in request.InstanceEventBatch.Events)
                {
                    Require(token, instanceEvent.InstanceId);
                }

                break;
            default:
                Require(token, InstanceIdOf(request));
                break;
        }

        void Require(TokenIdentity token, string instanceId)
        {
            if (!string.Equals(instanceId, own, StringComparison.Ordinal))
            {
                throw new RpcException(RpcErrorCodes.PermissionDenied, $"the token of {token} does not allow {request.RequestCase} on instance '{instanceId}'");
            }
        }
    }

    /// <summary>The instance a request is about; empty for an envelope with no request (answered EMPTY_REQUEST before this runs).</summary>
    private static string InstanceIdOf(RpcRequest request) => request.RequestCase switch
    {
        RpcRequest.RequestOneofCase.Checkpoint => request.Checkpoint.InstanceId,
        RpcRequest.RequestOneofCase.GetCheckpoint => request.GetCheckpoint.InstanceId,
        RpcRequest.RequestOneofCase.Sleep => request.Sleep.InstanceId,
        RpcRequest.RequestOneofCase.InstanceEvent => request.InstanceEvent.InstanceId,
        RpcRequest.RequestOneofCase.GetInstanceStatus => request.GetInstanceStatus.InstanceId,
        RpcRequest.RequestOneofCase.PollSignals => request.PollSignals.InstanceId,
        RpcRequest.RequestOneofCase.SignalAck => request.SignalAck.InstanceId,
        RpcRequest.RequestOneofCase.RetryAttempt => request.RetryAttempt.InstanceId,
        RpcRequest.RequestOneofCase.RenewCredential => request.RenewCredential.InstanceId,
        RpcRequest.RequestOneofCase.Wait => request.Wait.InstanceId,
        RpcRequest.RequestOneofCase.StartChild => request.StartChild.InstanceId,
        _ => string.Empty,
    };
}

using Runtara.Protocol.Rpc;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>A handler whose behaviour each test supplies.</summary>
public sealed class DelegateHandler<TRequest, TResponse>(Func<RpcServerCall<TRequest>, CancellationToken, ValueTask<RpcReply<TResponse>>> handle)
    : IRpcHandler<TRequest, TResponse>
    where TResponse : class
{
    public ValueTask<RpcReply<TResponse>> HandleAsync(RpcServerCall<TRequest> call, CancellationToken cancellationToken) =>
        handle(call, cancellationToken);
}

namespace Runtara;

/// <summary>
/// An error reported by the remote side (an <c>RpcError</c> or an Error frame) or by the RPC layer
/// itself (unreachable server, deadline). Typed subclasses in the service libraries map known codes.
/// </summary>
public class RpcException : RuntaraException
{
    public RpcException(string code, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
    }

    /// <summary>True when the call may be retried on a new connection (transport failures, shutdown).</summary>
    public bool IsTransient =>
        Code is RpcErrorCodes.Unavailable or RpcErrorCodes.ConnectionClosed or RpcErrorCodes.ShuttingDown;
}

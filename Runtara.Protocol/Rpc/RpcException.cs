namespace Runtara;

/// <summary>
/// An error reported by the remote side (an <c>RpcError</c> or an Error frame) or by the RPC layer
/// itself (unreachable server, deadline). Typed subclasses in the service libraries map known codes.
/// </summary>
public class RpcException : RuntaraException
{
    /// <summary>Creates an RPC error with a wire code (see <see cref="RpcErrorCodes"/>).</summary>
    /// <param name="code">The stable error code, as in <c>RpcError.code</c>.</param>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The transport or I/O failure behind it, if any.</param>
    public RpcException(string code, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
    }

    /// <summary>True when the call may be retried on a new connection (transport failures, shutdown).</summary>
    public bool IsTransient =>
        Code is RpcErrorCodes.Unavailable or RpcErrorCodes.ConnectionClosed or RpcErrorCodes.ShuttingDown;
}

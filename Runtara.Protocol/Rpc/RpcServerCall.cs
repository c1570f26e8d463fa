namespace Runtara.Protocol.Rpc;

/// <summary>One incoming RPC as a handler sees it (a struct: the server makes one per call).</summary>
public readonly struct RpcServerCall<TRequest>
{
    internal RpcServerCall(TRequest request, string method, RpcConnectionContext connection, Stream? upload, RpcIdentity? identity = null)
    {
        Request = request;
        Method = method;
        Connection = connection;
        Upload = upload;
        Identity = identity;
    }

    /// <summary>Who this call was authenticated as (from its own credential); null on a server without an authenticator.</summary>
    public RpcIdentity? Identity { get; }

    /// <summary>The decoded request envelope.</summary>
    public TRequest Request { get; }

    /// <summary>The request's name, e.g. <c>Checkpoint</c>.</summary>
    public string Method { get; }

    /// <summary>The connection the call arrived on.</summary>
    public RpcConnectionContext Connection { get; }

    /// <summary>The streamed body of an upload RPC (read until it returns 0); null otherwise.</summary>
    public Stream? Upload { get; }
}

/// <summary>What a handler answers: a response message, a streamed response, or nothing (one-way).</summary>
public readonly struct RpcReply<TResponse>
    where TResponse : class
{
    private RpcReply(TResponse? message, Func<Stream, CancellationToken, ValueTask>? body)
    {
        Message = message;
        Body = body;
    }

    /// <summary>No response frame (one-way requests).</summary>
    public static RpcReply<TResponse> None => default;

    /// <summary>The response envelope, or the header of a streamed response.</summary>
    public TResponse? Message { get; }

    /// <summary>Writes the streamed body after the header; null for a plain response.</summary>
    public Func<Stream, CancellationToken, ValueTask>? Body { get; }

    /// <summary>A plain response.</summary>
    public static RpcReply<TResponse> FromMessage(TResponse message) => new(message ?? throw new ArgumentNullException(nameof(message)), null);

    /// <summary>A streamed response: StreamStart with <paramref name="header"/>, StreamData written by <paramref name="body"/>, StreamEnd.</summary>
    public static RpcReply<TResponse> Streamed(TResponse header, Func<Stream, CancellationToken, ValueTask> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(body);
        return new(header, body);
    }

    /// <summary>A plain response; the same as <see cref="FromMessage"/>.</summary>
    public static implicit operator RpcReply<TResponse>(TResponse message) => FromMessage(message);
}

/// <summary>Handles the RPCs of one protocol.</summary>
public interface IRpcHandler<TRequest, TResponse>
    where TResponse : class
{
    /// <summary>
    /// Handles one call. A <see cref="RuntaraException"/> becomes an <c>RpcError</c> with its code;
    /// any other exception becomes <c>INTERNAL</c> with details only in the server log.
    /// </summary>
    ValueTask<RpcReply<TResponse>> HandleAsync(RpcServerCall<TRequest> call, CancellationToken cancellationToken);
}

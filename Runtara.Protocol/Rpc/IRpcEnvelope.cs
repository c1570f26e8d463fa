using Google.Protobuf;

namespace Runtara.Protocol.Rpc;

/// <summary>How a request travels and whether it is answered.</summary>
public enum RpcKind
{
    /// <summary>One request frame, one response frame.</summary>
    Unary,

    /// <summary>One request frame, no response (SPEC §3.2 fire-and-forget).</summary>
    OneWay,

    /// <summary>StreamStart carrying the request, StreamData chunks, StreamEnd, then one response.</summary>
    Upload,
}

/// <summary>
/// The <c>RpcRequest</c> envelope of a protocol package. Implemented by partial classes next to the
/// generated code, so the RPC layer stays generic over the three protocols.
/// </summary>
public interface IRpcRequest<TSelf> : IMessage<TSelf>, IBufferMessage
    where TSelf : IRpcRequest<TSelf>
{
    /// <summary>The generated parser of the envelope.</summary>
    static abstract MessageParser<TSelf> Parser { get; }

    /// <summary>The protobuf package, e.g. <c>runtara.instance</c>; names spans and metrics.</summary>
    static abstract string ServiceName { get; }

    /// <summary>W3C traceparent of the caller's span (field 100).</summary>
    string Traceparent { get; set; }

    /// <summary>W3C tracestate of the caller's span (field 101).</summary>
    string Tracestate { get; set; }

    /// <summary>The caller's credential (field 102): an instance or service token, or an API key (docs/security.md).</summary>
    string Credential { get; set; }

    /// <summary>
    /// The exchange's id on a multiplexed connection (field 200); 0 when the connection carries one
    /// exchange at a time (docs/protocol.md "Multiplexed exchanges").
    /// </summary>
    uint ExchangeId { get; set; }

    /// <summary>The name of the request set in the oneof (e.g. <c>Checkpoint</c>); empty when none is set.</summary>
    string MethodName { get; }

    /// <summary>How the request travels.</summary>
    RpcKind Kind { get; }
}

/// <summary>The <c>RpcResponse</c> envelope of a protocol package.</summary>
public interface IRpcResponse<TSelf> : IMessage<TSelf>, IBufferMessage
    where TSelf : IRpcResponse<TSelf>
{
    /// <summary>The generated parser of the envelope.</summary>
    static abstract MessageParser<TSelf> Parser { get; }

    /// <summary>Builds a response carrying <c>RpcError{code, message}</c> (field 15 in every package).</summary>
    static abstract TSelf FromError(string code, string message);

    /// <summary>Reads the <c>error</c> field when it is set.</summary>
    bool TryGetError(out string code, out string message);

    /// <summary>The <see cref="IRpcRequest{TSelf}.ExchangeId"/> of the request answered (field 200); 0 when it had none.</summary>
    uint ExchangeId { get; set; }

    /// <summary>
    /// True when the request's credential is the one its connection is bound to (field 201): later
    /// requests on that connection may leave theirs empty to present it again (docs/security.md).
    /// </summary>
    bool CredentialBound { get; set; }
}

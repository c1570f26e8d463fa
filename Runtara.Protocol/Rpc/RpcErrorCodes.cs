namespace Runtara;

/// <summary>Error codes of the RPC layer shared by all three protocols (docs/protocol.md).</summary>
public static class RpcErrorCodes
{
    /// <summary>An envelope with no request set (SPEC §3.2).</summary>
    public const string EmptyRequest = "EMPTY_REQUEST";

    /// <summary>The payload is not a valid request envelope of the protocol.</summary>
    public const string InvalidRequest = "INVALID_REQUEST";

    /// <summary>A frame whose length field exceeds the maximum frame size.</summary>
    public const string FrameTooLarge = "FRAME_TOO_LARGE";

    /// <summary>A frame whose message type is not 1–6.</summary>
    public const string InvalidFrameType = "INVALID_FRAME_TYPE";

    /// <summary>A frame that is defined but not expected at this point of the exchange.</summary>
    public const string UnexpectedFrame = "UNEXPECTED_FRAME";

    /// <summary>A truncated frame.</summary>
    public const string MalformedFrame = "MALFORMED_FRAME";

    /// <summary>The peer closed the stream or connection.</summary>
    public const string ConnectionClosed = "CONNECTION_CLOSED";

    /// <summary>The server could not be reached or the connection broke.</summary>
    public const string Unavailable = "UNAVAILABLE";

    /// <summary>The TLS handshake failed (e.g. the server certificate is not trusted).</summary>
    public const string TlsFailure = "TLS_FAILURE";

    /// <summary>The call's deadline passed before a response arrived.</summary>
    public const string DeadlineExceeded = "DEADLINE_EXCEEDED";

    /// <summary>A server limit (connections, streams, sizes, rates) was reached.</summary>
    public const string ResourceExhausted = "RESOURCE_EXHAUSTED";

    /// <summary>The server does not implement this request.</summary>
    public const string Unimplemented = "UNIMPLEMENTED";

    /// <summary>The caller did not present valid credentials.</summary>
    public const string Unauthenticated = "UNAUTHENTICATED";

    /// <summary>The caller's credentials do not allow this call.</summary>
    public const string PermissionDenied = "PERMISSION_DENIED";

    /// <summary>The server is shutting down.</summary>
    public const string ShuttingDown = "SHUTTING_DOWN";

    /// <summary>An unexpected server failure; details are in the server log only.</summary>
    public const string Internal = "INTERNAL";
}

namespace Runtara.Protocol.Framing;

/// <summary>The 2-byte message type of a frame (SPEC §3.1).</summary>
public enum FrameType : ushort
{
    /// <summary>A request envelope (<c>RpcRequest</c>).</summary>
    Request = 1,

    /// <summary>A response envelope (<c>RpcResponse</c>).</summary>
    Response = 2,

    /// <summary>Opens a streamed body: carries the request (upload) or response (download) envelope.</summary>
    StreamStart = 3,

    /// <summary>One chunk of a streamed body; the payload is raw bytes.</summary>
    StreamData = 4,

    /// <summary>Ends a streamed body; empty payload.</summary>
    StreamEnd = 5,

    /// <summary>A transport-level error; the payload is an <c>RpcErrorFrame</c>.</summary>
    Error = 6,
}

namespace Runtara.Protocol.Framing;

/// <summary>Why a frame could not be encoded or decoded.</summary>
public enum FrameError
{
    /// <summary>Fewer than six bytes were available for the header.</summary>
    IncompleteHeader,

    /// <summary>The header announced more payload bytes than were available.</summary>
    IncompletePayload,

    /// <summary>The announced or requested payload exceeds the configured maximum.</summary>
    FrameTooLarge,

    /// <summary>The message type is not one of 1–6.</summary>
    InvalidMessageType,

    /// <summary>The stream ended before a frame header began.</summary>
    ConnectionClosed,
}

/// <summary>A framing violation. <see cref="Recoverable"/> tells whether the stream is still in sync.</summary>
public sealed class FrameException : RuntaraException
{
    /// <summary>Creates the exception for <paramref name="error"/>; its <see cref="RuntaraException.Code"/> is derived from the error.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">A description for logs.</param>
    /// <param name="recoverable">True when the offending frame was consumed whole and the stream is still in sync.</param>
    /// <param name="declaredLength">The payload length the header announced, in bytes, when known.</param>
    public FrameException(FrameError error, string message, bool recoverable = false, long declaredLength = 0)
        : base(CodeFor(error), message)
    {
        Error = error;
        Recoverable = recoverable;
        DeclaredLength = declaredLength;
    }

    /// <summary>What went wrong.</summary>
    public FrameError Error { get; }

    /// <summary>True when the whole offending frame was consumed, so the next frame can still be read.</summary>
    public bool Recoverable { get; }

    /// <summary>The payload length the header announced, when known.</summary>
    public long DeclaredLength { get; }

    private static string CodeFor(FrameError error) => error switch
    {
        FrameError.FrameTooLarge => RpcErrorCodes.FrameTooLarge,
        FrameError.InvalidMessageType => RpcErrorCodes.InvalidFrameType,
        FrameError.ConnectionClosed => RpcErrorCodes.ConnectionClosed,
        _ => RpcErrorCodes.MalformedFrame,
    };
}

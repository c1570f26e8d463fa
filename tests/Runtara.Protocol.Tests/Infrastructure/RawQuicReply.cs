using System.Buffers.Binary;
using Runtara.Protocol.Framing;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>How a raw exchange ends its side of the stream after writing its bytes.</summary>
public enum RawQuicEnding
{
    /// <summary>Finish the send side (FIN), as a well-behaved client does.</summary>
    CompleteWrites,

    /// <summary>Leave the send side open while reading the answer.</summary>
    LeaveOpen,

    /// <summary>Reset the send side (RESET_STREAM) after writing.</summary>
    AbortWrites,

    /// <summary>Finish the send side and stop reading at once (STOP_SENDING): the answer is refused.</summary>
    AbortReads,
}

/// <summary>How the server ended its side of a raw exchange.</summary>
public enum RawQuicOutcome
{
    /// <summary>The server finished its side (FIN) after whatever it sent.</summary>
    Completed,

    /// <summary>The server reset its side of the stream.</summary>
    Aborted,

    /// <summary>The whole connection closed.</summary>
    ConnectionClosed,

    /// <summary>Nothing ended the stream within the timeout.</summary>
    TimedOut,

    /// <summary>The client refused the answer (<see cref="RawQuicEnding.AbortReads"/>): nothing was read.</summary>
    NotRead,
}

/// <summary>What came back on one stream: the raw bytes, how the stream ended, and the server's abort code.</summary>
public sealed record RawQuicReply(byte[] Received, RawQuicOutcome Outcome, long? ErrorCode)
{
    /// <summary>Splits <see cref="Received"/> into frames; a trailing partial frame is an error.</summary>
    public IReadOnlyList<(FrameType Type, byte[] Payload)> Frames()
    {
        var frames = new List<(FrameType, byte[])>();
        var rest = Received.AsSpan();
        while (!rest.IsEmpty)
        {
            if (rest.Length < FrameCodec.HeaderSize || rest.Length - FrameCodec.HeaderSize < (long)BinaryPrimitives.ReadUInt32BigEndian(rest))
            {
                throw new InvalidDataException($"the server sent a partial frame ({rest.Length} trailing bytes)");
            }

            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(rest);
            frames.Add((FrameCodec.ToFrameType(BinaryPrimitives.ReadUInt16BigEndian(rest[4..])), rest.Slice(FrameCodec.HeaderSize, length).ToArray()));
            rest = rest[(FrameCodec.HeaderSize + length)..];
        }

        return frames;
    }
}

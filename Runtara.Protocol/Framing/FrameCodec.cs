using System.Buffers;
using System.Buffers.Binary;

namespace Runtara.Protocol.Framing;

/// <summary>
/// The frame layout shared by every protocol: 4-byte big-endian payload length, 2-byte big-endian
/// message type, then the payload (SPEC §3.1).
/// </summary>
public static class FrameCodec
{
    /// <summary>Size of the frame header in bytes.</summary>
    public const int HeaderSize = 6;

    /// <summary>Default maximum payload: 64 MiB, as the original.</summary>
    public const int DefaultMaxPayloadSize = 64 * 1024 * 1024;

    /// <summary>True for the six defined message types.</summary>
    public static bool IsDefined(ushort value) => value is >= 1 and <= 6;

    /// <summary>Validates a raw message-type value.</summary>
    public static FrameType ToFrameType(ushort value) =>
        IsDefined(value)
            ? (FrameType)value
            : throw new FrameException(FrameError.InvalidMessageType, $"invalid message type: {value}");

    /// <summary>Writes a header into <paramref name="destination"/> (at least six bytes).</summary>
    public static void WriteHeader(Span<byte> destination, FrameType type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)type);
    }

    /// <summary>Throws when a payload of <paramref name="length"/> bytes may not be framed.</summary>
    public static void EnsurePayloadSize(long length, int maxPayloadSize)
    {
        if (length > maxPayloadSize)
        {
            throw new FrameException(
                FrameError.FrameTooLarge,
                $"frame too large: {length} bytes (max: {maxPayloadSize})",
                declaredLength: length);
        }
    }

    /// <summary>Encodes one frame into a new array (tests and tools; hot paths use <see cref="FrameWriter"/>).</summary>
    public static byte[] Encode(FrameType type, ReadOnlySpan<byte> payload, int maxPayloadSize = DefaultMaxPayloadSize)
    {
        EnsurePayloadSize(payload.Length, maxPayloadSize);
        var frame = new byte[HeaderSize + payload.Length];
        WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>
    /// Decodes the frame at the start of <paramref name="buffer"/>. Bytes after the frame are ignored.
    /// Errors follow SPEC §18.1: "incomplete frame header", "incomplete frame payload", frame too large.
    /// </summary>
    public static Frame Decode(ReadOnlyMemory<byte> buffer, int maxPayloadSize = DefaultMaxPayloadSize)
    {
        if (buffer.Length < HeaderSize)
        {
            throw new FrameException(FrameError.IncompleteHeader, "incomplete frame header");
        }

        var header = ReadHeader(buffer.Span, maxPayloadSize);
        if (buffer.Length - HeaderSize < header.PayloadLength)
        {
            throw new FrameException(FrameError.IncompletePayload, "incomplete frame payload", declaredLength: header.PayloadLength);
        }

        var type = ToFrameType(header.RawType);
        return new Frame(type, new ReadOnlySequence<byte>(buffer.Slice(HeaderSize, header.PayloadLength)));
    }

    /// <summary>Reads and length-checks a header; the type is returned raw so callers can skip a bad frame.</summary>
    public static FrameHeader ReadHeader(ReadOnlySpan<byte> header, int maxPayloadSize)
    {
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        EnsurePayloadSize(length, maxPayloadSize);
        return new FrameHeader(BinaryPrimitives.ReadUInt16BigEndian(header[4..]), (int)length);
    }

    /// <summary>Reads a header from a possibly fragmented sequence; false when fewer than six bytes are present.</summary>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, int maxPayloadSize, out FrameHeader header)
    {
        if (buffer.Length < HeaderSize)
        {
            header = default;
            return false;
        }

        Span<byte> scratch = stackalloc byte[HeaderSize];
        var first = buffer.FirstSpan;
        if (first.Length >= HeaderSize)
        {
            header = ReadHeader(first, maxPayloadSize);
        }
        else
        {
            buffer.Slice(0, HeaderSize).CopyTo(scratch);
            header = ReadHeader(scratch, maxPayloadSize);
        }

        return true;
    }
}

/// <summary>A decoded frame header: raw type value and payload length.</summary>
public readonly record struct FrameHeader(ushort RawType, int PayloadLength);

/// <summary>
/// A frame whose payload is a view into the reader's buffer; it stays valid until the next read
/// from the same <see cref="FrameReader"/>.
/// </summary>
public readonly record struct Frame(FrameType Type, ReadOnlySequence<byte> Payload);

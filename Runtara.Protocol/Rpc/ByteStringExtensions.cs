using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Runtara.Protocol.Rpc;

/// <summary>Reading bytes fields of received messages without copying them.</summary>
public static class ByteStringExtensions
{
    /// <summary>
    /// The bytes of a received message field as an array, without copying when the field owns a whole
    /// array (a parsed message always does: protobuf copies each bytes field out of the frame). The
    /// array is shared with the message, so it is treated as read-only, as the <see cref="ByteString"/> is.
    /// </summary>
    public static byte[] ToBytes(this ByteString value) =>
        value.IsEmpty ? []
        : MemoryMarshal.TryGetArray(value.Memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array
        : value.ToByteArray();
}

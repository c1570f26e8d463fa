using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Framing;

public sealed class FrameCodecTests
{
    [Fact]
    public void Encode_writes_a_six_byte_header_with_big_endian_length_and_type()
    {
        var payload = new byte[] { 1, 2, 3, 4, 5 };

        var frame = FrameCodec.Encode(FrameType.Response, payload);

        Assert.Equal(6 + payload.Length, frame.Length);
        Assert.Equal((uint)payload.Length, BinaryPrimitives.ReadUInt32BigEndian(frame));
        Assert.Equal(new byte[] { 0, 0, 0, 5, 0, 2 }, frame[..6]);
        Assert.Equal(payload, frame[6..]);
    }

    [Fact]
    public void Decode_returns_what_encode_wrote()
    {
        var payload = "hello"u8.ToArray();

        var frame = FrameCodec.Decode(FrameCodec.Encode(FrameType.Request, payload));

        Assert.Equal(FrameType.Request, frame.Type);
        Assert.Equal(payload, frame.Payload.ToArray());
    }

    [Fact]
    public void Decode_of_fewer_than_six_bytes_reports_an_incomplete_header()
    {
        var ex = Assert.Throws<FrameException>(() => FrameCodec.Decode(new byte[] { 0, 0, 0, 1, 0 }));

        Assert.Equal(FrameError.IncompleteHeader, ex.Error);
        Assert.Equal("incomplete frame header", ex.Message);
    }

    [Fact]
    public void Decode_with_a_length_beyond_the_bytes_reports_an_incomplete_payload()
    {
        var frame = FrameCodec.Encode(FrameType.Request, new byte[10]);

        var ex = Assert.Throws<FrameException>(() => FrameCodec.Decode(frame.AsMemory(0, 12)));

        Assert.Equal(FrameError.IncompletePayload, ex.Error);
        Assert.Equal("incomplete frame payload", ex.Message);
    }

    [Fact]
    public void Decode_of_a_header_announcing_more_than_64_MiB_reports_frame_too_large_with_the_declared_size()
    {
        var header = new byte[6];
        FrameCodec.WriteHeader(header, FrameType.Request, FrameCodec.DefaultMaxPayloadSize + 1);

        var ex = Assert.Throws<FrameException>(() => FrameCodec.Decode(header));

        Assert.Equal(FrameError.FrameTooLarge, ex.Error);
        Assert.Equal(RpcErrorCodes.FrameTooLarge, ex.Code);
        Assert.Equal(FrameCodec.DefaultMaxPayloadSize + 1L, ex.DeclaredLength);
        Assert.Contains("67108865", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_refuses_a_payload_over_the_maximum()
    {
        var ex = Assert.Throws<FrameException>(() => FrameCodec.Encode(FrameType.Request, new byte[2049], maxPayloadSize: 2048));

        Assert.Equal(FrameError.FrameTooLarge, ex.Error);
    }

    [Fact]
    public void Zero_length_payload_is_valid()
    {
        var frame = FrameCodec.Decode(FrameCodec.Encode(FrameType.StreamEnd, ReadOnlySpan<byte>.Empty));

        Assert.Equal(FrameType.StreamEnd, frame.Type);
        Assert.True(frame.Payload.IsEmpty);
    }

    [Fact]
    public void Bytes_after_the_frame_are_ignored()
    {
        var frame = FrameCodec.Encode(FrameType.Response, new byte[] { 9, 9 });
        var withTrailer = frame.Concat(new byte[] { 1, 2, 3 }).ToArray();

        var decoded = FrameCodec.Decode(withTrailer);

        Assert.Equal(new byte[] { 9, 9 }, decoded.Payload.ToArray());
    }

    [Fact]
    public void Undefined_type_in_a_complete_frame_is_rejected()
    {
        var frame = FrameCodec.Encode(FrameType.Request, new byte[] { 1 });
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 7);

        var ex = Assert.Throws<FrameException>(() => FrameCodec.Decode(frame));

        Assert.Equal(FrameError.InvalidMessageType, ex.Error);
        Assert.Equal("invalid message type: 7", ex.Message);
    }

    [Fact]
    public void A_one_MiB_checkpoint_request_round_trips()
    {
        var state = new byte[1024 * 1024];
        Random.Shared.NextBytes(state);
        var request = new RpcRequest
        {
            Checkpoint = new CheckpointRequest { InstanceId = "i-1", CheckpointId = "cp", State = ByteString.CopyFrom(state) },
        };

        var frame = FrameCodec.Decode(FrameCodec.Encode(FrameType.Request, request.ToByteArray()));
        var decoded = RpcRequest.Parser.ParseFrom(frame.Payload);

        Assert.Equal(request, decoded);
        Assert.Equal(state, decoded.Checkpoint.State.ToByteArray());
    }
}

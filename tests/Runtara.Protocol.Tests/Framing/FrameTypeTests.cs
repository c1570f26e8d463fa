using Runtara.Protocol.Framing;

namespace Runtara.Protocol.Tests.Framing;

public sealed class FrameTypeTests
{
    [Theory]
    [InlineData(1, FrameType.Request)]
    [InlineData(2, FrameType.Response)]
    [InlineData(3, FrameType.StreamStart)]
    [InlineData(4, FrameType.StreamData)]
    [InlineData(5, FrameType.StreamEnd)]
    [InlineData(6, FrameType.Error)]
    public void Defined_message_types_round_trip(ushort value, FrameType expected)
    {
        Assert.Equal(expected, FrameCodec.ToFrameType(value));
        Assert.Equal(value, (ushort)expected);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(65535)]
    public void Undefined_message_types_are_rejected(ushort value)
    {
        var ex = Assert.Throws<FrameException>(() => FrameCodec.ToFrameType(value));
        Assert.Equal(FrameError.InvalidMessageType, ex.Error);
        Assert.Equal(RpcErrorCodes.InvalidFrameType, ex.Code);
    }
}

using System.Globalization;
using Google.Protobuf;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>What the TCP and QUIC fuzzers share: the seed, the server's handler and frame limit, the probe request.</summary>
internal static class Fuzzing
{
    /// <summary>The servers' frame limit; the mutator's oversize headers announce more.</summary>
    public const int MaxFrameSize = 256 * 1024;

    /// <summary>RUNTARA_FUZZ_SEED when set (to replay a run), else a random seed; printed either way.</summary>
    public static int Seed(ITestOutputHelper output)
    {
        var seed = System.Environment.GetEnvironmentVariable("RUNTARA_FUZZ_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed} (set RUNTARA_FUZZ_SEED to replay)");
        return seed;
    }

    /// <summary>Answers every unary request with a status naming the requested instance; one-way requests get nothing.</summary>
    public static DelegateHandler<Inst.RpcRequest, Inst.RpcResponse> StatusEchoHandler() =>
        new((call, _) => call.Request.Kind == RpcKind.OneWay
            ? ValueTask.FromResult(RpcReply<Inst.RpcResponse>.None)
            : ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse
            {
                GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = call.Request.GetInstanceStatus?.InstanceId ?? string.Empty },
            }));

    /// <summary>A well-behaved client calling until <paramref name="stop"/>, checking every answer; returns how many calls it made.</summary>
    public static Task<int> BystanderAsync(RpcClient<Inst.RpcRequest, Inst.RpcResponse> client, CancellationToken stop) => Task.Run(async () =>
    {
        var calls = 0;
        while (!stop.IsCancellationRequested)
        {
            var id = $"bystander-{calls++}";
            var response = await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = id } });
            Assert.Equal(id, response.GetInstanceStatus.InstanceId);
        }

        return calls;
    });

    /// <summary>A well-formed status request frame for <paramref name="instanceId"/>.</summary>
    public static byte[] StatusRequestFrame(string instanceId) =>
        FrameCodec.Encode(FrameType.Request, new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = instanceId } }.ToByteArray());

    /// <summary>True when the frame is the handler's answer to <see cref="StatusRequestFrame"/> for <paramref name="instanceId"/>.</summary>
    public static bool IsStatusOf(FrameType type, byte[] payload, string instanceId) =>
        type == FrameType.Response
        && Inst.RpcResponse.Parser.ParseFrom(payload) is { ResponseCase: Inst.RpcResponse.ResponseOneofCase.GetInstanceStatus } status
        && status.GetInstanceStatus.InstanceId == instanceId;

    /// <summary>Checks an answer to a fuzzed frame: a decodable Response, or an Error frame with a code. True for an Error frame.</summary>
    public static bool CheckAnswer(FrameType type, byte[] payload)
    {
        Assert.True(type is FrameType.Response or FrameType.Error, $"unexpected {type} frame");
        if (type == FrameType.Error)
        {
            Assert.False(string.IsNullOrEmpty(RpcErrorFrame.Parser.ParseFrom(payload).Code));
            return true;
        }

        Inst.RpcResponse.Parser.ParseFrom(payload);
        return false;
    }
}

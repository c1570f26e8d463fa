using System.Runtime.Versioning;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// Bad input on one QUIC stream gets its documented error frame (then FIN), and the connection's
/// other streams — one in flight meanwhile, and new ones afterwards — keep working.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicHostileInputTests
{
    private const string Slow = "slow";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory, QuicTransport]
    public async Task An_oversize_length_prefix_gets_FRAME_TOO_LARGE_and_the_other_streams_keep_working(TransportKind transport)
    {
        var header = new byte[FrameCodec.HeaderSize];
        FrameCodec.WriteHeader(header, FrameType.Request, 2 * 1024 * 1024);

        // Announced, never sent: the server must refuse on the header alone, with the stream still open.
        var error = await BadStreamAsync(transport, header, RawQuicEnding.LeaveOpen);

        Assert.Equal(RpcErrorCodes.FrameTooLarge, error.Code);
        Assert.Contains("2097152", error.Message, StringComparison.Ordinal);
    }

    [Theory, QuicTransport]
    public async Task A_truncated_payload_then_FIN_gets_MALFORMED_FRAME_and_the_other_streams_keep_working(TransportKind transport)
    {
        var error = await BadStreamAsync(transport, Fuzzing.StatusRequestFrame("x")[..8], RawQuicEnding.CompleteWrites);

        Assert.Equal(RpcErrorCodes.MalformedFrame, error.Code);
        Assert.Equal("incomplete frame payload", error.Message);
    }

    [Theory, QuicTransport]
    public async Task A_truncated_header_then_FIN_gets_MALFORMED_FRAME_and_the_other_streams_keep_working(TransportKind transport)
    {
        var error = await BadStreamAsync(transport, Fuzzing.StatusRequestFrame("x")[..3], RawQuicEnding.CompleteWrites);

        Assert.Equal(RpcErrorCodes.MalformedFrame, error.Code);
        Assert.Equal("incomplete frame header", error.Message);
    }

    [Theory, QuicTransport]
    public async Task An_unknown_frame_type_gets_INVALID_FRAME_TYPE_and_the_other_streams_keep_working(TransportKind transport)
    {
        var bad = FrameCodec.Encode(FrameType.Request, new byte[] { 1, 2, 3 });
        bad[5] = 99;

        var error = await BadStreamAsync(transport, bad, RawQuicEnding.CompleteWrites);

        Assert.Equal(RpcErrorCodes.InvalidFrameType, error.Code);
        Assert.Equal("invalid message type: 99", error.Message);
    }

    [Theory, QuicTransport]
    public async Task A_garbage_protobuf_payload_gets_INVALID_REQUEST_and_the_other_streams_keep_working(TransportKind transport)
    {
        var error = await BadStreamAsync(transport, FrameCodec.Encode(FrameType.Request, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }), RawQuicEnding.CompleteWrites);

        Assert.Equal(RpcErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("runtara.instance.RpcRequest", error.Message, StringComparison.Ordinal);
    }

    [Theory, QuicTransport]
    public async Task A_stream_that_starts_with_a_non_request_frame_gets_UNEXPECTED_FRAME(TransportKind transport)
    {
        var error = await BadStreamAsync(transport, FrameCodec.Encode(FrameType.StreamData, new byte[] { 1 }), RawQuicEnding.CompleteWrites);

        Assert.Equal(RpcErrorCodes.UnexpectedFrame, error.Code);
    }

    [Theory, QuicTransport]
    public async Task A_stream_reset_mid_frame_is_reset_by_the_server_and_the_other_streams_keep_working(TransportKind transport)
    {
        await using var harness = await StartAsync(transport, logger: null);
        await using var raw = await RawQuicClient.ConnectAsync(harness.Port, harness.Certificates.PinnedTls(), Timeout);
        var inFlight = raw.ExchangeAsync(Fuzzing.StatusRequestFrame(Slow), RawQuicEnding.CompleteWrites, Timeout);

        var reset = await raw.ExchangeAsync(Fuzzing.StatusRequestFrame("x")[..8], RawQuicEnding.AbortWrites, Timeout);

        Assert.Equal(RawQuicOutcome.Aborted, reset.Outcome);
        Assert.Equal(Transport.Quic.QuicErrorCodes.StreamAborted, reset.ErrorCode);
        AssertStatus(await inFlight, Slow);
        AssertStatus(await raw.ExchangeAsync(Fuzzing.StatusRequestFrame("after"), RawQuicEnding.CompleteWrites, Timeout), "after");
    }

    /// <summary>
    /// Regression: the server's write fails when the client stopped reading, and completing the
    /// stream's pipe writer then retried it and threw out of the stream's disposal, leaving the QUIC
    /// stream undisposed and failing the whole connection's task when it ended.
    /// </summary>
    [Theory, QuicTransport]
    public async Task Clients_that_stop_reading_before_the_answer_leave_the_connection_healthy(TransportKind transport)
    {
        var log = new CountingLogger();
        await using var harness = await StartAsync(transport, log);
        await using (var raw = await RawQuicClient.ConnectAsync(harness.Port, harness.Certificates.PinnedTls(), Timeout))
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(RawQuicOutcome.NotRead, (await raw.ExchangeAsync(Fuzzing.StatusRequestFrame(Slow), RawQuicEnding.AbortReads, Timeout)).Outcome);
            }

            // Answered after the refused ones (same delay, started later), so their writes have been tried.
            AssertStatus(await raw.ExchangeAsync(Fuzzing.StatusRequestFrame(Slow), RawQuicEnding.CompleteWrites, Timeout), Slow);
            await Task.Delay(200);
        }

        await Wait.UntilAsync(() => Task.FromResult(harness.Server.OpenConnections), open => open == 0, Timeout, "the raw connection to close");
        Assert.Equal(0, log.Count("ConnectionFailed"));
        var client = harness.CreateClient();
        Assert.Equal("after", (await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = "after" } })).GetInstanceStatus.InstanceId);
    }

    private static Task<ServerHarness<Inst.RpcRequest, Inst.RpcResponse>> StartAsync(TransportKind transport, Microsoft.Extensions.Logging.ILogger? logger) =>
        ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(
            new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>(async (call, ct) =>
            {
                var id = call.Request.GetInstanceStatus?.InstanceId ?? string.Empty;
                if (id == Slow)
                {
                    await Task.Delay(300, ct);
                }

                return new Inst.RpcResponse { GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = id } };
            }),
            transport,
            o => o.MaxFrameSize = 1024 * 1024,
            logger);

    /// <summary>
    /// Sends <paramref name="bytes"/> on one stream while a slow call is in flight on another stream
    /// of the same connection; returns the bad stream's error frame after checking that it came alone,
    /// followed by FIN, and that the in-flight call and a new one on the same connection are answered.
    /// </summary>
    private static async Task<RpcErrorFrame> BadStreamAsync(TransportKind transport, byte[] bytes, RawQuicEnding ending)
    {
        await using var harness = await StartAsync(transport, logger: null);
        await using var raw = await RawQuicClient.ConnectAsync(harness.Port, harness.Certificates.PinnedTls(), Timeout);
        var inFlight = raw.ExchangeAsync(Fuzzing.StatusRequestFrame(Slow), RawQuicEnding.CompleteWrites, Timeout);

        var reply = await raw.ExchangeAsync(bytes, ending, Timeout);

        Assert.Equal(RawQuicOutcome.Completed, reply.Outcome);
        var (type, payload) = Assert.Single(reply.Frames());
        Assert.Equal(FrameType.Error, type);
        AssertStatus(await inFlight, Slow);
        AssertStatus(await raw.ExchangeAsync(Fuzzing.StatusRequestFrame("after"), RawQuicEnding.CompleteWrites, Timeout), "after");
        return RpcErrorFrame.Parser.ParseFrom(payload);
    }

    private static void AssertStatus(RawQuicReply reply, string id)
    {
        Assert.Equal(RawQuicOutcome.Completed, reply.Outcome);
        var (type, payload) = Assert.Single(reply.Frames());
        Assert.True(Fuzzing.IsStatusOf(type, payload, id), $"expected the status of {id}, got a {type} frame");
    }
}

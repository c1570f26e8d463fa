using Google.Protobuf;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// Bad frames get a clear error; the connection survives where it can and the server always does.
/// The server listens on TLS/TCP and on a Unix socket; raw peers try both, clients use the socket.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private ServerHarness<Inst.RpcRequest, Inst.RpcResponse> _harness = null!;

    public async Task InitializeAsync()
    {
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((call, _) => call.Request.RequestCase switch
        {
            Inst.RpcRequest.RequestOneofCase.GetCheckpoint when call.Request.GetCheckpoint.CheckpointId == "throw" =>
                throw new InvalidOperationException("secret internal detail"),
            Inst.RpcRequest.RequestOneofCase.GetCheckpoint when call.Request.GetCheckpoint.CheckpointId == "typed" =>
                throw new RpcException("INSTANCE_NOT_FOUND", "Instance 'x' not found"),
            _ when call.Request.Kind == RpcKind.OneWay => ValueTask.FromResult(RpcReply<Inst.RpcResponse>.None),
            _ => ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse { GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = "ok" } }),
        });
        _harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, TransportKind.Unix, o => o.MaxFrameSize = 1024 * 1024);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>A raw connection over TLS/TCP or over the server's Unix socket: both get the same answers.</summary>
    private Task<RawFrameClient> ConnectRawAsync(string socket) =>
        socket == "unix" ? RawFrameClient.ConnectUnixAsync(_harness.SocketPath) : RawFrameClient.ConnectAsync(_harness.Port);

    private static byte[] Status() =>
        FrameCodec.Encode(FrameType.Request, new Inst.RpcRequest { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = "x" } }.ToByteArray());

    private static Inst.RpcResponse AsResponse((FrameType Type, byte[] Payload)? frame)
    {
        Assert.NotNull(frame);
        Assert.Equal(FrameType.Response, frame.Value.Type);
        return Inst.RpcResponse.Parser.ParseFrom(frame.Value.Payload);
    }

    private static RpcErrorFrame AsErrorFrame((FrameType Type, byte[] Payload)? frame)
    {
        Assert.NotNull(frame);
        Assert.Equal(FrameType.Error, frame.Value.Type);
        return RpcErrorFrame.Parser.ParseFrom(frame.Value.Payload);
    }

    [Theory, InlineData("tls"), InlineData("unix")]
    public async Task A_garbled_request_payload_gets_an_invalid_request_error_and_the_connection_stays_usable(string socket)
    {
        await using var raw = await ConnectRawAsync(socket);

        await raw.WriteAsync(FrameCodec.Encode(FrameType.Request, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }));
        var error = AsErrorFrame(await raw.ReadFrameAsync(Timeout));
        await raw.WriteAsync(Status());
        var next = AsResponse(await raw.ReadFrameAsync(Timeout));

        Assert.Equal(RpcErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("runtara.instance.RpcRequest", error.Message, StringComparison.Ordinal);
        Assert.Equal("ok", next.GetInstanceStatus.InstanceId);
    }

    [Theory, InlineData("tls"), InlineData("unix")]
    public async Task An_empty_envelope_gets_EMPTY_REQUEST(string socket)
    {
        await using var raw = await ConnectRawAsync(socket);

        await raw.WriteAsync(FrameCodec.Encode(FrameType.Request, ReadOnlySpan<byte>.Empty));
        var response = AsResponse(await raw.ReadFrameAsync(Timeout));

        Assert.Equal(RpcErrorCodes.EmptyRequest, response.Error.Code);
        Assert.Equal("RpcRequest contained no request", response.Error.Message);
    }

    [Theory, InlineData("tls"), InlineData("unix")]
    public async Task An_undefined_frame_type_gets_an_error_frame_and_the_connection_stays_usable(string socket)
    {
        await using var raw = await ConnectRawAsync(socket);
        var bad = FrameCodec.Encode(FrameType.Request, new byte[] { 1, 2, 3 });
        bad[5] = 99;

        await raw.WriteAsync(bad);
        var error = AsErrorFrame(await raw.ReadFrameAsync(Timeout));
        await raw.WriteAsync(Status());

        Assert.Equal(RpcErrorCodes.InvalidFrameType, error.Code);
        Assert.Equal("ok", AsResponse(await raw.ReadFrameAsync(Timeout)).GetInstanceStatus.InstanceId);
    }

    [Theory, InlineData("tls"), InlineData("unix")]
    public async Task A_frame_that_does_not_start_an_exchange_gets_UNEXPECTED_FRAME(string socket)
    {
        await using var raw = await ConnectRawAsync(socket);

        await raw.WriteAsync(FrameCodec.Encode(FrameType.StreamData, new byte[] { 1 }));
        var error = AsErrorFrame(await raw.ReadFrameAsync(Timeout));

        Assert.Equal(RpcErrorCodes.UnexpectedFrame, error.Code);
    }

    [Theory, InlineData("tls"), InlineData("unix")]
    public async Task An_oversize_length_gets_FRAME_TOO_LARGE_then_the_connection_closes_and_the_server_serves_others(string socket)
    {
        await using var raw = await ConnectRawAsync(socket);
        var header = new byte[6];
        FrameCodec.WriteHeader(header, FrameType.Request, 2 * 1024 * 1024);

        await raw.WriteAsync(header);
        var error = AsErrorFrame(await raw.ReadFrameAsync(Timeout));
        var afterwards = await raw.ReadFrameAsync(Timeout);
        var client = _harness.CreateClient();
        var response = await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() });

        Assert.Equal(RpcErrorCodes.FrameTooLarge, error.Code);
        Assert.Contains("2097152", error.Message, StringComparison.Ordinal);
        Assert.Null(afterwards);
        Assert.Equal("ok", response.GetInstanceStatus.InstanceId);
    }

    [Theory, InlineData("tls"), InlineData("unix")]
    public async Task FRAME_TOO_LARGE_reaches_a_peer_that_keeps_sending_its_body_every_time(string socket)
    {
        // The server closes after this answer while the body is still arriving: without a graceful
        // close (FIN, then discarding the rest) the kernel resets the connection and the answer is
        // often lost, so one try is not enough to show it.
        const int announced = 2 * 1024 * 1024;
        var frame = new byte[FrameCodec.HeaderSize + announced];
        FrameCodec.WriteHeader(frame, FrameType.Request, announced);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await using var raw = await ConnectRawAsync(socket);
            await raw.WriteAsync(frame);
            var error = AsErrorFrame(await raw.ReadFrameAsync(Timeout));

            Assert.Equal(RpcErrorCodes.FrameTooLarge, error.Code);
        }
    }

    [Fact]
    public async Task An_unexpected_handler_exception_becomes_INTERNAL_without_leaking_details()
    {
        var client = _harness.CreateClient();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(new Inst.RpcRequest { GetCheckpoint = new() { CheckpointId = "throw" } }));

        Assert.Equal(RpcErrorCodes.Internal, ex.Code);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_typed_handler_exception_keeps_its_code_and_message()
    {
        var client = _harness.CreateClient();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(new Inst.RpcRequest { GetCheckpoint = new() { CheckpointId = "typed" } }));
        var next = await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() });

        Assert.Equal("INSTANCE_NOT_FOUND", ex.Code);
        Assert.Equal("Instance 'x' not found", ex.Message);
        Assert.Equal("ok", next.GetInstanceStatus.InstanceId);
    }

    [Fact]
    public async Task Calling_a_one_way_request_as_unary_is_refused_by_the_client()
    {
        var client = _harness.CreateClient();

        await Assert.ThrowsAsync<ArgumentException>(() => client.CallAsync(new Inst.RpcRequest { SignalAck = new() }));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SendAsync(new Inst.RpcRequest { GetInstanceStatus = new() }));
    }

    [Theory, InlineData("tls"), InlineData("unix")]
    public async Task A_peer_that_disconnects_mid_frame_does_not_disturb_the_server(string socket)
    {
        await using (var raw = await ConnectRawAsync(socket))
        {
            await raw.WriteAsync(Status().AsMemory(0, 8));
        }

        var client = _harness.CreateClient();
        Assert.Equal("ok", (await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() })).GetInstanceStatus.InstanceId);
    }

    [Fact]
    public async Task A_plain_TCP_peer_that_never_completes_TLS_does_not_disturb_the_server()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, _harness.Port);
        await tcp.GetStream().WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        var client = _harness.CreateClient(o => (o.Address, o.Transport) = ($"127.0.0.1:{_harness.Port}", TransportKind.Tcp));
        Assert.Equal("ok", (await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() })).GetInstanceStatus.InstanceId);
    }

    [Fact]
    public async Task A_peer_that_writes_http_to_the_unix_socket_gets_an_error_and_the_server_serves_others()
    {
        await using (var raw = await RawFrameClient.ConnectUnixAsync(_harness.SocketPath))
        {
            await raw.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
            var frame = await raw.ReadFrameAsync(Timeout);
            Assert.True(frame is null || frame.Value.Type == FrameType.Error, $"expected an error frame or a close, got {frame?.Type}");
        }

        var client = _harness.CreateClient();
        Assert.Equal(TransportKind.Unix, client.Transport);
        Assert.Equal("ok", (await client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() })).GetInstanceStatus.InstanceId);
    }
}

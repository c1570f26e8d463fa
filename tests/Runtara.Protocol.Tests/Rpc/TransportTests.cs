using System.Security.Cryptography;
using Google.Protobuf;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Env = Runtara.Protocol.Environment;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>Client and server over a real transport on loopback: TLS/TCP here, QUIC where msquic exists.</summary>
public sealed class TransportTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private static DelegateHandler<Inst.RpcRequest, Inst.RpcResponse> EchoHandler(Action<Inst.RpcRequest>? oneWay = null) =>
        new((call, _) =>
        {
            var request = call.Request;
            if (request.Kind == RpcKind.OneWay)
            {
                oneWay?.Invoke(request);
                return ValueTask.FromResult(RpcReply<Inst.RpcResponse>.None);
            }

            return ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(request.RequestCase switch
            {
                Inst.RpcRequest.RequestOneofCase.Checkpoint => new Inst.RpcResponse
                {
                    Checkpoint = new Inst.CheckpointResponse { Found = true, State = request.Checkpoint.State },
                },
                _ => new Inst.RpcResponse
                {
                    GetInstanceStatus = new Inst.GetInstanceStatusResponse { InstanceId = request.GetInstanceStatus?.InstanceId ?? string.Empty },
                },
            });
        });

    /// <summary>Echoes a checkpoint's state after <paramref name="delay"/>.</summary>
    private static DelegateHandler<Inst.RpcRequest, Inst.RpcResponse> SlowEchoHandler(TimeSpan delay) =>
        new(async (call, ct) =>
        {
            await Task.Delay(delay, ct);
            return new Inst.RpcResponse { Checkpoint = new Inst.CheckpointResponse { Found = true, State = call.Request.Checkpoint.State } };
        });

    private static Inst.RpcRequest Checkpoint(string state) =>
        new() { Checkpoint = new Inst.CheckpointRequest { InstanceId = "i", CheckpointId = "c", State = ByteString.CopyFromUtf8(state) } };

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task Unary_call_returns_the_response(TransportKind transport)
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(), transport);
        var client = harness.CreateClient();

        var response = await client.CallAsync(Checkpoint("hello")).WaitAsync(TestTimeout);

        Assert.Equal("hello", response.Checkpoint.State.ToStringUtf8());
        Assert.Equal(transport, client.Transport);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task One_way_request_reaches_the_server_without_a_response(TransportKind transport)
    {
        var received = new TaskCompletionSource<Inst.RpcRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(r => received.TrySetResult(r)), transport);
        var client = harness.CreateClient();

        await client.SendAsync(new Inst.RpcRequest { SignalAck = new Inst.SignalAck { InstanceId = "i-1", Acknowledged = true } });
        var request = await received.Task.WaitAsync(TestTimeout);
        // The connection stays in sync: a unary call after the one-way one gets its own answer.
        var after = await client.CallAsync(Checkpoint("next")).WaitAsync(TestTimeout);

        Assert.Equal("i-1", request.SignalAck.InstanceId);
        Assert.Equal("next", after.Checkpoint.State.ToStringUtf8());
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task Streaming_upload_of_100_MiB_arrives_intact(TransportKind transport)
    {
        const long size = 100L * 1024 * 1024;
        var handler = new DelegateHandler<Env.RpcRequest, Env.RpcResponse>(async (call, ct) =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await call.Upload!.ReadAsync(buffer, ct)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                total += read;
            }

            var ok = total == (long)call.Request.RegisterImageStream.BinarySize
                && Convert.ToHexStringLower(sha.GetHashAndReset()) == call.Request.RegisterImageStream.Sha256;
            return new Env.RpcResponse { RegisterImage = new Env.RegisterImageResponse { Success = ok, ImageId = total.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        });
        await using var harness = await ServerHarness<Env.RpcRequest, Env.RpcResponse>.StartAsync(handler, transport);
        var client = harness.CreateClient();
        await using var content = new DeterministicStream(size, seed: 7);
        var expectedHash = await DeterministicStream.Sha256Async(size, seed: 7);
        long lastProgress = 0;

        var response = await client.UploadAsync(
            new Env.RpcRequest { RegisterImageStream = new Env.RegisterImageStreamStart { TenantId = "t", Name = "big", BinarySize = (ulong)size, Sha256 = expectedHash } },
            content,
            new SynchronousProgress(p => lastProgress = p)).WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(response.RegisterImage.Success);
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), response.RegisterImage.ImageId);
        Assert.Equal(size, lastProgress);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task An_early_rejection_ends_the_upload_with_the_servers_answer(TransportKind transport)
    {
        var handler = new DelegateHandler<Env.RpcRequest, Env.RpcResponse>((_, _) =>
            ValueTask.FromResult<RpcReply<Env.RpcResponse>>(new Env.RpcResponse { RegisterImage = new Env.RegisterImageResponse { Success = false, Error = "too large" } }));
        await using var harness = await ServerHarness<Env.RpcRequest, Env.RpcResponse>.StartAsync(handler, transport);
        var client = harness.CreateClient();
        await using var content = new DeterministicStream(512L * 1024 * 1024, seed: 1);

        var response = await client.UploadAsync(
            new Env.RpcRequest { RegisterImageStream = new Env.RegisterImageStreamStart { TenantId = "t", Name = "n" } }, content).WaitAsync(TestTimeout);

        Assert.False(response.RegisterImage.Success);
        Assert.Equal("too large", response.RegisterImage.Error);
        Assert.True(content.Position < content.Length, "the client stopped sending once the server answered");
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task Streaming_download_delivers_the_body_after_the_header(TransportKind transport)
    {
        var body = RandomNumberGenerator.GetBytes(300_000);
        var handler = new DelegateHandler<Env.RpcRequest, Env.RpcResponse>((_, _) =>
            ValueTask.FromResult(RpcReply<Env.RpcResponse>.Streamed(
                new Env.RpcResponse { GetImage = new Env.GetImageResponse { Found = true } },
                async (stream, ct) => await stream.WriteAsync(body, ct))));
        await using var harness = await ServerHarness<Env.RpcRequest, Env.RpcResponse>.StartAsync(handler, transport);
        var client = harness.CreateClient();
        using var destination = new MemoryStream();

        var header = await client.DownloadAsync(new Env.RpcRequest { GetImage = new Env.GetImageRequest { ImageId = "x" } }, destination).WaitAsync(TestTimeout);
        // A plain call on the same client still works: the body was consumed completely.
        var again = await client.CallAsync(new Env.RpcRequest { GetImage = new Env.GetImageRequest { ImageId = "y" } }).WaitAsync(TestTimeout);

        Assert.True(header.GetImage.Found);
        Assert.Equal(body, destination.ToArray());
        Assert.True(again.GetImage.Found);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task A_thousand_concurrent_calls_from_fifty_clients_all_get_their_own_answer(TransportKind transport)
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(), transport);
        var clients = Enumerable.Range(0, 50).Select(_ => harness.CreateClient(o => o.MaxConnections = 8)).ToArray();

        var calls = Enumerable.Range(0, 1000).Select(async i =>
        {
            var response = await clients[i % clients.Length].CallAsync(Checkpoint($"call-{i}"));
            return (i, response.Checkpoint.State.ToStringUtf8());
        });
        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.All(results, r => Assert.Equal($"call-{r.i}", r.Item2));
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task Cancelling_a_call_ends_it_and_the_client_keeps_working(TransportKind transport)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>(async (call, ct) =>
        {
            if (call.Request.Checkpoint?.CheckpointId == "slow")
            {
                await release.Task.WaitAsync(ct);
            }

            return new Inst.RpcResponse { Checkpoint = new Inst.CheckpointResponse { Found = true } };
        });
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, transport);
        var client = harness.CreateClient();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var slow = new Inst.RpcRequest { Checkpoint = new Inst.CheckpointRequest { CheckpointId = "slow" } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CallAsync(slow, cancellation.Token));
        var next = await client.CallAsync(Checkpoint("fast")).WaitAsync(TestTimeout);
        release.SetResult();

        Assert.True(next.Checkpoint.Found);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task A_call_past_its_deadline_fails_with_deadline_exceeded(TransportKind transport)
    {
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>(async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return new Inst.RpcResponse();
        });
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, transport);
        var client = harness.CreateClient();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(Checkpoint("x"), TimeSpan.FromMilliseconds(150)));

        Assert.Equal(RpcErrorCodes.DeadlineExceeded, ex.Code);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task The_client_reconnects_after_the_server_restarts(TransportKind transport)
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(), transport);
        var client = harness.CreateClient();
        Assert.Equal("before", (await client.CallAsync(Checkpoint("before"))).Checkpoint.State.ToStringUtf8());

        await harness.RestartAsync(EchoHandler());
        var after = await client.CallAsync(Checkpoint("after")).WaitAsync(TestTimeout);

        Assert.Equal("after", after.Checkpoint.State.ToStringUtf8());
    }

    [Theory, TcpTransport, UnixTransport]
    public async Task Every_pooled_connection_going_stale_at_once_costs_the_next_call_nothing(TransportKind transport)
    {
        // Four calls in flight leave four pooled connections, all just used (so lent again without a
        // liveness check) and all closed by the restart: the first attempt fails on one, the retry
        // checks the others, drops them, and connects afresh.
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(SlowEchoHandler(TimeSpan.FromMilliseconds(100)), transport);
        var client = harness.CreateClient();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => client.CallAsync(Checkpoint($"warm-{i}")))).WaitAsync(TestTimeout);

        await harness.RestartAsync(EchoHandler());
        var after = await client.CallAsync(Checkpoint("after")).WaitAsync(TestTimeout);

        Assert.Equal("after", after.Checkpoint.State.ToStringUtf8());
    }

    [Theory, TcpTransport, UnixTransport]
    public async Task A_one_way_send_right_after_a_server_restart_reaches_the_new_server(TransportKind transport)
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(), transport);
        var client = harness.CreateClient();
        await client.CallAsync(Checkpoint("before")).WaitAsync(TestTimeout);
        var received = new TaskCompletionSource<Inst.RpcRequest>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The pooled connection was used a moment ago, but a one-way send reads no answer that would
        // reveal it is closed: it must be checked, or the message would be written into a dead socket.
        await harness.RestartAsync(EchoHandler(r => received.TrySetResult(r)));
        await client.SendAsync(new Inst.RpcRequest { SignalAck = new Inst.SignalAck { InstanceId = "after-restart", Acknowledged = true } }).WaitAsync(TestTimeout);

        Assert.Equal("after-restart", (await received.Task.WaitAsync(TestTimeout)).SignalAck.InstanceId);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task After_a_deadline_fires_the_next_calls_get_their_own_full_deadline(TransportKind transport)
    {
        // Deadline timers are reused between calls: one that fired must not leak into later calls.
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(SlowEchoHandler(TimeSpan.FromMilliseconds(300)), transport);
        var client = harness.CreateClient();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(Checkpoint("late"), TimeSpan.FromMilliseconds(50)));
        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add((await client.CallAsync(Checkpoint($"in-time-{i}"), TimeSpan.FromSeconds(30)).WaitAsync(TestTimeout)).Checkpoint.State.ToStringUtf8());
        }

        Assert.Equal(RpcErrorCodes.DeadlineExceeded, ex.Code);
        Assert.Equal(["in-time-0", "in-time-1", "in-time-2"], answers);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task A_caller_cancelling_after_its_call_completed_does_not_affect_later_calls(TransportKind transport)
    {
        // The caller's token is linked to a reused deadline only for the duration of its call.
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(SlowEchoHandler(TimeSpan.FromMilliseconds(200)), transport);
        var client = harness.CreateClient();
        using var caller = new CancellationTokenSource();

        var first = await client.CallAsync(Checkpoint("first"), caller.Token).WaitAsync(TestTimeout);
        var second = client.CallAsync(Checkpoint("second"));
        await caller.CancelAsync();

        Assert.Equal("first", first.Checkpoint.State.ToStringUtf8());
        Assert.Equal("second", (await second.WaitAsync(TestTimeout)).Checkpoint.State.ToStringUtf8());
    }

    [Theory, TcpTransport, QuicTransport]
    public async Task A_server_certificate_the_client_does_not_trust_is_rejected(TransportKind transport)
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(), transport);
        // Default trust is the system store, which does not hold the generated certificate.
        var client = harness.CreateClient(o => o.Tls = new Runtara.Protocol.Security.ClientTlsOptions());

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(Checkpoint("x")));

        Assert.Equal(RpcErrorCodes.TlsFailure, ex.Code);
    }

    [Theory, TcpTransport, QuicTransport]
    public async Task A_pinned_certificate_is_accepted_and_another_pin_is_rejected(TransportKind transport)
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(), transport);
        using var other = new TestCertificates();
        var pinned = harness.CreateClient();
        var wrongPin = harness.CreateClient(o => o.Tls = other.PinnedTls());

        var response = await pinned.CallAsync(Checkpoint("ok"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => wrongPin.CallAsync(Checkpoint("x")));

        Assert.Equal("ok", response.Checkpoint.State.ToStringUtf8());
        Assert.Equal(RpcErrorCodes.TlsFailure, ex.Code);
    }

    [Theory, TcpTransport, QuicTransport]
    public async Task A_certificate_pinned_by_its_sha256_fingerprint_is_accepted_and_another_fingerprint_is_rejected(TransportKind transport)
    {
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(EchoHandler(), transport);
        using var other = new TestCertificates();
        // Written as openssl prints it (colons, upper case) and as plain hex (here lower case).
        var fingerprint = Runtara.Protocol.Security.CertificateFingerprint.Sha256(harness.Certificates.Certificate);
        var withColons = string.Join(':', fingerprint.Chunk(2).Select(pair => new string(pair)));
        var pinned = harness.CreateClient(o => o.Tls = new Runtara.Protocol.Security.ClientTlsOptions { PinnedCertificateSha256 = withColons });
        // As a connection string hands it to another machine: the file is not there, the fingerprint pins.
        var pinnedElsewhere = harness.CreateClient(o => o.Tls = new Runtara.Protocol.Security.ClientTlsOptions
        {
            PinnedCertificatePath = Path.Combine(other.Directory, "elsewhere", "runtara-dev.crt"),
            PinnedCertificateSha256 = fingerprint.ToLowerInvariant(),
        });
        var wrongPin = harness.CreateClient(o => o.Tls = new Runtara.Protocol.Security.ClientTlsOptions
        {
            PinnedCertificateSha256 = Runtara.Protocol.Security.CertificateFingerprint.Sha256OfFile(other.PinnedPath),
        });

        var response = await pinned.CallAsync(Checkpoint("by-fingerprint"));
        var elsewhere = await pinnedElsewhere.CallAsync(Checkpoint("elsewhere"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => wrongPin.CallAsync(Checkpoint("x")));

        Assert.Equal("by-fingerprint", response.Checkpoint.State.ToStringUtf8());
        Assert.Equal("elsewhere", elsewhere.Checkpoint.State.ToStringUtf8());
        Assert.Equal(RpcErrorCodes.TlsFailure, ex.Code);
    }

    [Fact]
    public void A_pinned_fingerprint_that_is_not_sha256_hex_is_refused_when_the_client_is_created()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions
        {
            Address = "127.0.0.1:1",
            Tls = new Runtara.Protocol.Security.ClientTlsOptions { PinnedCertificateSha256 = "0123" },
        }));

        Assert.Equal(nameof(Runtara.Protocol.Security.ClientTlsOptions.PinnedCertificateSha256), ex.ParamName);
    }

    [Theory, TcpTransport, QuicTransport]
    public async Task A_configured_certificate_authority_is_trusted_and_a_different_one_is_not(TransportKind transport)
    {
        using var certificates = new TestCertificates();
        var (caPath, serverCertificate) = certificates.CreateCaSignedServerCertificate("good");
        var (otherCaPath, _) = certificates.CreateCaSignedServerCertificate("other");
        var options = new RpcServerOptions { BindAddress = "127.0.0.1", Transport = transport };
        await using var server = new RpcServer<Inst.RpcRequest, Inst.RpcResponse>(options, EchoHandler(), certificate: serverCertificate);
        await server.StartAsync();
        RpcClient<Inst.RpcRequest, Inst.RpcResponse> Client(string ca) => new(new RpcClientOptions
        {
            Address = $"127.0.0.1:{server.Port}",
            Transport = transport,
            Tls = new Runtara.Protocol.Security.ClientTlsOptions { CaCertificatePath = ca, ServerName = "localhost" },
        });
        await using var trusting = Client(caPath);
        await using var distrusting = Client(otherCaPath);

        var response = await trusting.CallAsync(Checkpoint("ca"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => distrusting.CallAsync(Checkpoint("x")));

        Assert.Equal("ca", response.Checkpoint.State.ToStringUtf8());
        Assert.Equal(RpcErrorCodes.TlsFailure, ex.Code);
    }

    [Theory, TcpTransport, UnixTransport, QuicTransport]
    public async Task Stopping_the_server_lets_in_flight_calls_finish(TransportKind transport)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>(async (call, _) =>
        {
            started.TrySetResult();
            await Task.Delay(500, CancellationToken.None);
            return new Inst.RpcResponse { Checkpoint = new Inst.CheckpointResponse { State = call.Request.Checkpoint.State } };
        });
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, transport);
        var client = harness.CreateClient();

        var call = client.CallAsync(Checkpoint("drained"));
        await started.Task.WaitAsync(TestTimeout);
        await harness.Server.StopAsync();

        Assert.Equal("drained", (await call.WaitAsync(TestTimeout)).Checkpoint.State.ToStringUtf8());
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(Checkpoint("after-stop")));
        Assert.Equal(RpcErrorCodes.Unavailable, ex.Code);
    }
}

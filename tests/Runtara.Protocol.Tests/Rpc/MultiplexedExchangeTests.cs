using System.IO.Pipelines;
using System.Net.Sockets;
using Google.Protobuf;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// Multiplexed exchanges on TLS/TCP and Unix sockets (docs/protocol.md): concurrent unary calls share
/// a connection, tagged with exchange ids, and the server answers each when it is done.
/// </summary>
public sealed class MultiplexedExchangeTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private static Inst.RpcRequest Checkpoint(string id) =>
        new() { Checkpoint = new Inst.CheckpointRequest { InstanceId = "i", CheckpointId = id, State = ByteString.CopyFromUtf8(id) } };

    /// <summary>Echoes the checkpoint id as the state; ids starting with "hold" wait for <paramref name="release"/>.</summary>
    private static DelegateHandler<Inst.RpcRequest, Inst.RpcResponse> Handler(Task release, Action<string>? arrived = null) =>
        new(async (call, ct) =>
        {
            var id = call.Request.Checkpoint.CheckpointId;
            arrived?.Invoke(id);
            if (id.StartsWith("hold", StringComparison.Ordinal))
            {
                await release.WaitAsync(ct);
            }

            return new Inst.RpcResponse { Checkpoint = new Inst.CheckpointResponse { Found = true, State = ByteString.CopyFromUtf8(id) } };
        });

    /// <summary>Holds <paramref name="calls"/> calls in the handler until all arrived; the server's open connections then, and the answers.</summary>
    private static async Task<(int Connections, Inst.RpcResponse[] Answers)> HoldCallsAsync(TransportKind transport, int calls, int exchangesPerConnection)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(
            Handler(release.Task, _ =>
            {
                if (Interlocked.Increment(ref arrived) == calls)
                {
                    allArrived.SetResult();
                }
            }),
            transport);
        var client = harness.CreateClient(o => o.MaxExchangesPerConnection = exchangesPerConnection);

        var pending = Enumerable.Range(0, calls).Select(i => client.CallAsync(Checkpoint($"hold-{i}"))).ToArray();
        await allArrived.Task.WaitAsync(TestTimeout);
        var connections = harness.Server.OpenConnections;
        release.SetResult();
        return (connections, await Task.WhenAll(pending).WaitAsync(TestTimeout));
    }

    /// <summary>Answer i echoes call i's checkpoint id.</summary>
    private static void AssertEachGotItsOwn(IEnumerable<Inst.RpcResponse> answers, string prefix = "hold-") =>
        Assert.All(answers.Select((answer, i) => (answer, i)), a => Assert.Equal($"{prefix}{a.i}", a.answer.Checkpoint.State.ToStringUtf8()));

    [Theory, TcpTransport, UnixTransport]
    public async Task A_call_answered_first_does_not_wait_for_a_slow_one_sent_before_it_on_the_same_connection(TransportKind transport)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Handler(release.Task), transport);
        var client = harness.CreateClient();

        var slow = client.CallAsync(Checkpoint("hold-slow"));
        var fast = await client.CallAsync(Checkpoint("fast")).WaitAsync(TestTimeout);

        Assert.Equal("fast", fast.Checkpoint.State.ToStringUtf8());
        Assert.False(slow.IsCompleted);
        Assert.Equal(1, harness.Server.OpenConnections);
        release.SetResult();
        Assert.Equal("hold-slow", (await slow.WaitAsync(TestTimeout)).Checkpoint.State.ToStringUtf8());
    }

    [Theory, TcpTransport, UnixTransport]
    public async Task Sixty_four_calls_in_flight_share_two_connections_of_thirty_two(TransportKind transport)
    {
        var (connections, answers) = await HoldCallsAsync(transport, calls: 64, exchangesPerConnection: 32);

        Assert.Equal(2, connections);
        AssertEachGotItsOwn(answers);
    }

    [Theory, TcpTransport, UnixTransport]
    public async Task A_call_past_its_deadline_leaves_the_connection_to_the_other_calls_and_its_late_answer_is_dropped(TransportKind transport)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(Handler(release.Task), transport);
        var client = harness.CreateClient();
        var held = client.CallAsync(Checkpoint("hold-long"));

        var late = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(Checkpoint("hold-late"), TimeSpan.FromMilliseconds(150)));
        var during = await client.CallAsync(Checkpoint("during")).WaitAsync(TestTimeout);
        release.SetResult();
        var first = await held.WaitAsync(TestTimeout);
        var after = await client.CallAsync(Checkpoint("after")).WaitAsync(TestTimeout);

        Assert.Equal(RpcErrorCodes.DeadlineExceeded, late.Code);
        Assert.Equal("during", during.Checkpoint.State.ToStringUtf8());
        Assert.Equal("hold-long", first.Checkpoint.State.ToStringUtf8());
        Assert.Equal("after", after.Checkpoint.State.ToStringUtf8());
        Assert.Equal(1, harness.Server.OpenConnections);
    }

    [Theory, TcpTransport, UnixTransport]
    public async Task With_one_exchange_per_connection_each_call_in_flight_takes_a_connection_of_its_own(TransportKind transport)
    {
        var (connections, answers) = await HoldCallsAsync(transport, calls: 4, exchangesPerConnection: 1);

        Assert.Equal(4, connections);
        AssertEachGotItsOwn(answers);
    }

    [Theory, TcpTransport, UnixTransport]
    public async Task A_handler_that_relays_the_request_through_a_client_of_its_own_is_still_matched(TransportKind transport)
    {
        // A relay's own client gives the request (and the answer it gets) ids of its connection.
        var relay = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((call, _) =>
        {
            call.Request.ExchangeId = 4242;
            return ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse
            {
                ExchangeId = 4242,
                Checkpoint = new Inst.CheckpointResponse { State = call.Request.Checkpoint.State },
            });
        });
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(relay, transport);
        var client = harness.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.CallAsync(Checkpoint($"relayed-{i}")))).WaitAsync(TestTimeout);

        AssertEachGotItsOwn(answers, "relayed-");
    }

    [Theory, TcpTransport, UnixTransport]
    public async Task An_answer_tells_only_this_servers_credential_binding_not_what_a_relayed_answer_carried(TransportKind transport)
    {
        // The handler relays an answer that says "bound" (as another server's would); this server
        // authenticates nothing, so it bound nothing, and the client must keep sending its credential.
        var credentials = new List<string>();
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(
            new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>(async (call, ct) =>
            {
                lock (credentials)
                {
                    credentials.Add(call.Request.Credential);
                }

                await Task.Yield();
                return new Inst.RpcResponse { CredentialBound = true, Checkpoint = new Inst.CheckpointResponse() };
            }),
            transport);
        var client = harness.CreateClient(o => o.CredentialProvider = () => "a-credential");

        for (var i = 0; i < 3; i++)
        {
            Assert.False((await client.CallAsync(Checkpoint($"call-{i}")).WaitAsync(TestTimeout)).CredentialBound);
        }

        Assert.Equal(["a-credential", "a-credential", "a-credential"], credentials);
    }

    [Fact]
    public async Task A_server_that_answers_in_turn_without_exchange_ids_is_matched_by_order()
    {
        // A server that knows nothing of exchange ids (runtara 1.4.1) reads the requests one after
        // the other and answers each in turn, without an id.
        var directory = Directory.CreateTempSubdirectory("runtara-mux-");
        var path = Path.Combine(directory.FullName, "old.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var received = new List<uint>();
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptAsync();
            await using var stream = new NetworkStream(socket);
            var reader = new FrameReader(PipeReader.Create(stream));
            var writer = new FrameWriter(PipeWriter.Create(stream));
            for (var i = 0; i < 3; i++)
            {
                var frame = await reader.ReadAsync() ?? throw new InvalidOperationException("closed");
                var request = Inst.RpcRequest.Parser.ParseFrom(frame.Payload);
                reader.Release();
                received.Add(request.ExchangeId);
                writer.Write(FrameType.Response, new Inst.RpcResponse { Checkpoint = new Inst.CheckpointResponse { State = request.Checkpoint.State } });
                await writer.FlushAsync();
            }
        });
        await using var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions { Address = RpcAddress.UnixScheme + path, Transport = TransportKind.Unix });

        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => client.CallAsync(Checkpoint($"call-{i}")))).WaitAsync(TestTimeout);
        await server.WaitAsync(TestTimeout);
        directory.Delete(recursive: true);

        AssertEachGotItsOwn(answers, "call-");
        Assert.All(received, id => Assert.NotEqual(0u, id));
    }
}

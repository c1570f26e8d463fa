using Google.Protobuf;
using Runtara.Bench.Infrastructure;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>rpc</c>: echo-style unary RPCs (a Checkpoint request whose state comes back in the response)
/// against an in-process server over loopback, with N callers in parallel.
/// </summary>
internal sealed class RpcCommand : IBenchCommand
{
    public string Name => "rpc";

    public string Usage => "--transport tcp|quic|unix|auto --concurrency N --count M [--size BYTES=64] [--warmup N=2000 (calls per warm-up round; rounds repeat until the JIT is quiet; 0: none)]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var transport = arguments.GetEnum("transport", TransportKind.Tcp);
        var concurrency = Math.Max(1, arguments.GetInt("concurrency", 1));
        var count = Math.Max(concurrency, arguments.GetInt("count", 20_000));
        var size = arguments.GetInt("size", 64);
        var warmup = arguments.GetInt("warmup", 2_000);
        arguments.EnsureAllRead();

        await using var server = await LoopbackServer<RpcRequest, RpcResponse>.StartAsync(new EchoHandler(), transport);
        await using var client = new RpcClient<RpcRequest, RpcResponse>(server.ClientOptions(transport, concurrency));
        var state = ByteString.CopyFrom(new byte[size]);

        async Task CallAsync(int worker, int index, CancellationToken token)
        {
            var request = new RpcRequest
            {
                Checkpoint = new CheckpointRequest { InstanceId = "bench", CheckpointId = "step", State = state },
            };
            var response = await client.CallAsync(request, token);
            if (response.Checkpoint.State.Length != size)
            {
                throw new InvalidOperationException("The echo came back with the wrong size.");
            }
        }

        // Warm up connections, TLS sessions and the JIT's tiers before measuring.
        var warmedUp = await WarmUp.RunAsync(warmup > 0 ? 1 : 0, _ => LatencyRecorder.RunAsync(concurrency, Math.Max(1, warmup / concurrency), CallAsync, cancellationToken));
        var (recorder, elapsed) = await LatencyRecorder.RunAsync(concurrency, count / concurrency, CallAsync, cancellationToken);
        recorder.Summarize(elapsed).Print(
            "Runtara RPC echo over loopback",
            [
                ("transport", client.Transport.ToString()),
                ("concurrency", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("payload", $"{size} B"),
                ("processors", System.Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                warmedUp,
            ]);
        return 0;
    }

    /// <summary>Answers every checkpoint with its own state.</summary>
    private sealed class EchoHandler : IRpcHandler<RpcRequest, RpcResponse>
    {
        public ValueTask<RpcReply<RpcResponse>> HandleAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken) =>
            ValueTask.FromResult<RpcReply<RpcResponse>>(new RpcResponse
            {
                Checkpoint = new CheckpointResponse { Found = true, State = call.Request.Checkpoint.State },
            });
    }
}

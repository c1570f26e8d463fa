using System.Collections.Concurrent;
using System.Diagnostics;
using Runtara.Diagnostics;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Protocol.Tests.Diagnostics;

public sealed class TracingTests
{
    private static readonly ActivitySource TestSource = new("Runtara.Protocol.Tests");

    [Fact]
    public async Task Client_and_server_spans_of_one_call_share_the_trace_carried_in_the_envelope()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RuntaraTelemetry.Protocol or "Runtara.Protocol.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        string? seenTraceparent = null;
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((call, _) =>
        {
            seenTraceparent = call.Request.Traceparent;
            return ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse { GetCheckpoint = new() });
        });
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, TransportKind.Tcp);
        var client = harness.CreateClient();

        ActivityTraceId traceId;
        using (var root = TestSource.StartActivity("test-root"))
        {
            traceId = root!.TraceId;
            await client.CallAsync(new Inst.RpcRequest { GetCheckpoint = new() { InstanceId = "i" } });
        }

        // The server span ends after the response is written, so the client can see the answer first: wait for it.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!spans.Any(s => s.TraceId == traceId && s.Kind == ActivityKind.Server) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var clientSpan = Assert.Single(spans, s => s.TraceId == traceId && s.Kind == ActivityKind.Client);
        var serverSpan = Assert.Single(spans, s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
        Assert.Equal("runtara.instance/GetCheckpoint", clientSpan.DisplayName);
        Assert.Equal("runtara.instance/GetCheckpoint", serverSpan.DisplayName);
        Assert.Equal(clientSpan.SpanId, serverSpan.ParentSpanId);
        Assert.Equal(clientSpan.Id, seenTraceparent);
        Assert.Equal("GetCheckpoint", serverSpan.GetTagItem("rpc.method"));
    }
}

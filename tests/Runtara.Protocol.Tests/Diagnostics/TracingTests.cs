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

    [Fact]
    public async Task Background_call_outside_a_trace_creates_no_client_or_server_span()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RuntaraTelemetry.Protocol,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((call, _) =>
        {
            seen.TrySetResult(call.Request.Traceparent);
            return ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse { GetCheckpoint = new() });
        });
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, TransportKind.Tcp);
        var client = harness.CreateClient();

        using (BackgroundWork.Begin())
        {
            await client.CallAsync(new Inst.RpcRequest { GetCheckpoint = new() { InstanceId = "i" } });
        }

        var traceparent = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ActivityContext.TryParse(traceparent, null, out var sent));
        Assert.Equal(ActivityTraceFlags.None, sent.TraceFlags);
        Assert.DoesNotContain(spans, s => s.TraceId == sent.TraceId || s.Id == traceparent);
    }

    [Fact]
    public async Task Work_item_traced_inside_a_background_scope_keeps_its_client_and_server_spans()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RuntaraTelemetry.Protocol or "Runtara.Protocol.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var handler = new DelegateHandler<Inst.RpcRequest, Inst.RpcResponse>((_, _) =>
            ValueTask.FromResult<RpcReply<Inst.RpcResponse>>(new Inst.RpcResponse { GetCheckpoint = new() }));
        await using var harness = await ServerHarness<Inst.RpcRequest, Inst.RpcResponse>.StartAsync(handler, TransportKind.Tcp);
        var client = harness.CreateClient();

        ActivityTraceId traceId;
        using (BackgroundWork.Begin())
        {
            using var workItem = TestSource.StartActivity("work-item");
            traceId = workItem!.TraceId;
            await client.CallAsync(new Inst.RpcRequest { GetCheckpoint = new() { InstanceId = "i" } });
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!spans.Any(s => s.TraceId == traceId && s.Kind == ActivityKind.Server) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Single(spans, s => s.TraceId == traceId && s.Kind == ActivityKind.Client);
        Assert.Single(spans, s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
    }

    [Fact]
    public void Background_scope_restores_the_previous_activity_when_disposed()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Runtara.Protocol.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var outer = TestSource.StartActivity("outer");

        using (BackgroundWork.Begin())
        {
            Assert.Null(Activity.Current);
            Assert.True(BackgroundWork.IsActive);
        }

        Assert.Same(outer, Activity.Current);
        Assert.False(BackgroundWork.IsActive);
    }
}

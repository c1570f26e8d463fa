using System.Diagnostics;
using Runtara.Diagnostics;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Scenarios;

/// <summary>
/// One trace from an instance's step to the core's storage write: the SDK's step span, the RPC client
/// span under it, the core's RPC server span (its parent read from the trace context in the request
/// envelope) and the storage span under that, collected in memory from a real core over loopback TLS/TCP.
/// </summary>
[Collection(CoreCollection.Name)]
public sealed class TraceTests(CoreFixture fixture)
{
    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_steps_checkpoint_is_one_trace_from_the_step_through_the_rpc_to_the_cores_storage_write()
    {
        var id = Ids.Instance("one-trace");
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RuntaraTelemetry.Sdk or RuntaraTelemetry.Protocol or RuntaraTelemetry.Core,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var options = fixture.Harness.Options();
        options.HeartbeatInterval = TimeSpan.Zero;
        await using (var connection = await RuntaraConnection.ConnectAsync(options))
        {
            await connection.RunAsync<string, int>(
                (ctx, _, ct) => ctx.StepAsync("traced", _ => Task.FromResult(7), ScenarioJson.Default.Int32, cancellationToken: ct),
                "input",
                ScenarioJson.Default.Int32,
                new InstanceIdentity(id, Ids.Tenant()));
        }

        // The storage span ends after the commit, a moment after the RPC answered.
        var step = Assert.Single(Snapshot(), a => a.OperationName == "step" && (string?)a.GetTagItem("runtara.instance.id") == id);
        var all = await Wait.UntilAsync(
            () => Task.FromResult(Snapshot().Where(a => a.TraceId == step.TraceId).ToArray()),
            trace => trace.Any(a => a.Source.Name == RuntaraTelemetry.Core), TimeSpan.FromSeconds(10), "the storage span");

        var client = Assert.Single(all, a => a.Kind == ActivityKind.Client && a.ParentSpanId == step.SpanId);
        Assert.Equal("runtara.instance/Checkpoint", client.OperationName);
        var server = Assert.Single(all, a => a.Kind == ActivityKind.Server && a.ParentSpanId == client.SpanId);
        Assert.Equal("runtara.instance/Checkpoint", server.OperationName);
        var storage = Assert.Single(all, a => a.Source.Name == RuntaraTelemetry.Core && a.ParentSpanId == server.SpanId);
        Assert.StartsWith("storage ", storage.OperationName, StringComparison.Ordinal);
        Assert.All(new[] { client, server, storage }, a => Assert.Equal(step.TraceId, a.TraceId));

        Activity[] Snapshot()
        {
            lock (spans)
            {
                return [.. spans];
            }
        }
    }
}

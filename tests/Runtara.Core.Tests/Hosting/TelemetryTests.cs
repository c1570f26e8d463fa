using System.Collections.Concurrent;
using System.Diagnostics;
using Runtara.Core.Tests.Infrastructure;
using Runtara.Diagnostics;

namespace Runtara.Core.Tests.Hosting;

/// <summary>The storage write of an RPC is traced as a child of that RPC's server span.</summary>
public sealed class TelemetryTests : IDisposable
{
    private readonly TempDirectory _directory = new("runtara-telemetry");

    [Fact(Timeout = 60_000)]
    public async Task A_checkpoint_storage_write_is_a_span_under_the_rpc_server_span()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RuntaraTelemetry.Core or RuntaraTelemetry.Protocol,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await using var core = await CoreHost.StartAsync(_directory.Path);
        var id = Ids.Instance();
        await core.Instance.RegisterAsync(id, Ids.Tenant());
        await core.Instance.CheckpointAsync(id, "traced", [1, 2, 3]);

        var storage = await Wait.UntilAsync(
            () => Task.FromResult(stopped.FirstOrDefault(a => a.OperationName == "storage checkpoint")),
            a => a is not null,
            TimeSpan.FromSeconds(10),
            "the storage span");
        var server = await Wait.UntilAsync(
            () => Task.FromResult(stopped.FirstOrDefault(a => a.SpanId == storage!.ParentSpanId)),
            a => a is not null,
            TimeSpan.FromSeconds(10),
            "the parent of the storage span to end");
        Assert.NotNull(server);
        Assert.Equal("runtara.instance/Checkpoint", server.OperationName);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal(server.TraceId, storage!.TraceId);
        Assert.Equal("sqlite", storage.GetTagItem("db.system"));
        Assert.NotNull(storage.GetTagItem("runtara.storage.batch_size"));
    }

    public void Dispose() => _directory.Dispose();
}

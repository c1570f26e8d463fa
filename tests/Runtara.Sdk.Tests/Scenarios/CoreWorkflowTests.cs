using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Runtara.Diagnostics;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Transport;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Scenarios;

/// <summary>The workflow suite against a real core over loopback TLS/TCP, plus what only a core shows.</summary>
[Collection(CoreCollection.Name)]
public sealed class CoreWorkflowTests(CoreFixture fixture) : WorkflowScenarioTests
{
    protected override IWorkflowHarness Harness { get; } = fixture.Harness;

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_sleep_below_the_core_threshold_is_waited_by_the_core_without_suspending()
    {
        // The SDK hands every sleep to the core; the core (threshold 1 s here) waits a 300 ms one itself.
        var id = Ids.Instance("core-nap");
        await using var connection = await ConnectAsync(configure: o => o.InProcessSleepThreshold = TimeSpan.Zero);
        var started = Stopwatch.StartNew();

        var outcome = await connection.RunAsync<Order, string>(
            async (ctx, _, ct) =>
            {
                await ctx.SleepAsync("nap", TimeSpan.FromMilliseconds(300), ct);
                return "ok";
            },
            AnOrder,
            ScenarioJson.Default.String,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(290), $"slept {started.Elapsed}");
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Each_step_is_an_activity_whose_rpcs_are_its_children_and_steps_are_counted()
    {
        var id = Ids.Instance("trace");
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RuntaraTelemetry.Sdk or RuntaraTelemetry.Protocol,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (activities)
                {
                    activities.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        long executed = 0;
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RuntaraTelemetry.Sdk && instrument.Name == "runtara.sdk.steps")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "runtara.step.outcome", Value: "executed" })
                {
                    Interlocked.Add(ref executed, value);
                }
            }
        });
        meters.Start();
        await using var connection = await ConnectAsync();

        await connection.RunAsync<Order, int>(
            (ctx, _, ct) => ctx.StepAsync("traced", _ => Task.FromResult(5), ScenarioJson.Default.Int32, cancellationToken: ct),
            AnOrder,
            ScenarioJson.Default.Int32,
            new InstanceIdentity(id, Ids.Tenant()));

        Activity[] snapshot;
        lock (activities)
        {
            snapshot = [.. activities];
        }

        var workflow = Assert.Single(snapshot, a => a.OperationName == "workflow" && (string?)a.GetTagItem("runtara.instance.id") == id);
        var step = Assert.Single(snapshot, a => a.OperationName == "step" && (string?)a.GetTagItem("runtara.instance.id") == id);
        Assert.Equal("traced", step.GetTagItem("runtara.step.key"));
        Assert.Equal(workflow.SpanId, step.ParentSpanId);
        var checkpoint = Assert.Single(snapshot, a => a.Source.Name == RuntaraTelemetry.Protocol && a.ParentSpanId == step.SpanId);
        Assert.Equal("runtara.instance/Checkpoint", checkpoint.OperationName);
        Assert.Equal(step.TraceId, checkpoint.TraceId);
        Assert.True(Interlocked.Read(ref executed) >= 1);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_short_lived_instance_token_is_renewed_so_a_long_run_completes()
    {
        // A 2 s instance token (RUNTARA_INSTANCE_TOKEN): the run lasts about 4 s, so without renewal at
        // half-life its later steps would be refused as UNAUTHENTICATED.
        var id = Ids.Instance("renew");
        var tenant = Ids.Tenant();
        var token = TestCredentials.InstanceToken(fixture.Core.DataDirectory, id, tenant, TimeSpan.FromSeconds(2));
        await using var connection = await ConnectAsync(configure: o => o.Token = token);

        var outcome = await connection.RunAsync<Order, int>(
            async (ctx, _, ct) =>
            {
                var total = 0;
                for (var i = 0; i < 8; i++)
                {
                    total += await ctx.StepAsync($"slow-{i}", async t =>
                    {
                        await Task.Delay(500, t);
                        return 1;
                    }, ScenarioJson.Default.Int32, cancellationToken: ct);
                }

                return total;
            },
            AnOrder,
            ScenarioJson.Default.Int32,
            new InstanceIdentity(id, tenant));

        Assert.True(outcome.Status == WorkflowStatus.Completed, outcome.Error);
        Assert.Equal(8, outcome.Result);
    }

    [SkippableFact(Timeout = TestTimeouts.Short)]
    public async Task Workflow_completes_over_quic_where_the_machine_supports_it()
    {
        Skip.IfNot(TransportSupport.IsQuicSupported, TransportSupport.QuicUnavailableMessage);
        var id = Ids.Instance("quic");
        var options = fixture.Core.SdkOptions(TransportKind.Quic);
        options.HeartbeatInterval = TimeSpan.Zero;
        await using var connection = await RuntaraConnection.ConnectAsync(options);

        var outcome = await connection.RunAsync<Order, int>(
            (ctx, _, ct) => ctx.StepAsync("over-quic", _ => Task.FromResult(1), ScenarioJson.Default.Int32, cancellationToken: ct),
            AnOrder,
            ScenarioJson.Default.Int32,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_signal_poll_whose_response_is_lost_is_retried_and_returns_the_stored_payload()
    {
        // Two lost responses: the RPC client's own single retry on a pooled connection cannot hide both,
        // so the backend's retry of the (idempotent) store-as poll is what delivers the payload.
        await using var relay = await LossyRelay.StartAsync(fixture.Core, responsesToLose: 2);
        var id = Ids.Instance("lost-response");
        await using var connection = await ConnectAsync(configure: o => o.ServerAddress = relay.Address);

        var run = connection.RunAsync<Order, string>(
            async (ctx, _, ct) => (await ctx.WaitForSignalAsync("approve", ScenarioJson.Default.Approval, cancellationToken: ct)).By,
            AnOrder,
            ScenarioJson.Default.String,
            new InstanceIdentity(id, Ids.Tenant()));
        await Wait.UntilAsync(() => Harness.ViewAsync(id), v => v.Status == InstanceStatus.Running, TimeSpan.FromSeconds(20), "registration");
        await Harness.SendCustomSignalAsync(id, "approve", JsonSerializer.SerializeToUtf8Bytes(new Approval(true, "alice"), ScenarioJson.Default.Approval));
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("alice", outcome.Result);
        Assert.Equal(3, relay.Deliveries);
        Assert.Contains("wait:approve", await Harness.CheckpointIdsAsync(id));
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task Registration_of_a_finished_instance_is_refused_with_a_typed_error()
    {
        var id = Ids.Instance("finished");
        var tenant = Ids.Tenant();
        await using var connection = await ConnectAsync();
        Workflow<Order, int> workflow = (ctx, _, ct) => Task.FromResult(1);
        await connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.Int32, new InstanceIdentity(id, tenant));

        var error = await Assert.ThrowsAsync<InstanceRegistrationException>(() =>
            connection.RunAsync(workflow, AnOrder, ScenarioJson.Default.Int32, new InstanceIdentity(id, tenant)));
        Assert.Equal(id, error.InstanceId);
        Assert.Equal(SdkErrorCodes.Registration, error.Code);
    }
}

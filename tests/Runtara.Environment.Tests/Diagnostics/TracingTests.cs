using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Runtara.Diagnostics;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Testing;

namespace Runtara.Environment.Tests.Diagnostics;

/// <summary>
/// Runs alone: the span recorder listens to the whole process, so another class's environment (or a
/// test that drives a worker by hand, outside its background scope) must not add its spans meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "tracing (alone)";
}

/// <summary>What a person finds on the traces page: no background noise, and start traces that end with the start.</summary>
[Collection(TracingCollection.Name)]
public sealed class TracingTests
{
    private static readonly ActivitySource TestSource = new("Runtara.Environment.Tests");
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Idle_environment_polling_for_wakeups_creates_no_spans()
    {
        using var spans = new SpanRecorder();
        var polls = 0;
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RuntaraTelemetry.Protocol && instrument.Name == "runtara.rpc.server.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "rpc.method", Value: "ListDueWakeups" })
                {
                    Interlocked.Increment(ref polls);
                }
            }
        });
        meters.Start();

        // Long polls of 200 ms: wait for a few polls the core actually served.
        await using var env = await EnvironmentHarness.StartAsync(new Dictionary<string, string?> { ["Runtara:Environment:WakeLongPoll"] = "00:00:00.200" });
        await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref polls)), n => n >= 3, Deadline, "three wake-up polls");

        Assert.DoesNotContain(spans.Started, s => s.DisplayName.EndsWith("/ListDueWakeups", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_trace_gains_no_spans_from_the_instance_watch_after_the_start_returns()
    {
        using var spans = new SpanRecorder();
        await using var env = await EnvironmentHarness.StartAsync();
        var tenant = Ids.Tenant();
        var image = await env.RegisterTestImageAsync(tenant);

        ActivityTraceId traceId;
        string id;
        using (var root = TestSource.StartActivity("test-start"))
        {
            traceId = root!.TraceId;
            id = await env.StartTestInstanceAsync(image, tenant, mode: null);
        }

        var started = DateTime.UtcNow;
        await env.WaitForEndAsync(id);

        // Settling the exit is its own trace, linked to the launch: once it ended, the watch is done.
        var settled = await Wait.UntilAsync(
            () => Task.FromResult(spans.Stopped.FirstOrDefault(s => s.DisplayName == "SettleInstance" && s.Links.Any(l => l.Context.TraceId == traceId))),
            s => s is not null, Deadline, "the instance's exit to be settled");
        Assert.NotEqual(traceId, settled!.TraceId);

        // Spans the test or the environment made in the start trace (the instance process joins it on
        // purpose; its calls show up as core server spans and are not the watch's).
        Assert.DoesNotContain(spans.Started, s => s.TraceId == traceId && s.StartTimeUtc > started
            && (s.Kind == ActivityKind.Client || s.Source.Name == RuntaraTelemetry.Environment));
    }

    [Fact]
    public async Task A_woken_instance_is_relaunched_in_the_trace_of_its_start()
    {
        using var spans = new SpanRecorder();
        await using var env = await EnvironmentHarness.StartAsync(new Dictionary<string, string?> { ["Runtara:Environment:WakeLongPoll"] = "00:00:01" });
        var tenant = Ids.Tenant();
        var image = await env.RegisterTestImageAsync(tenant);

        ActivityTraceId traceId;
        string id;
        using (var root = TestSource.StartActivity("test-start"))
        {
            traceId = root!.TraceId;
            // Three times the harness core's in-process sleep threshold (0.5 s): the instance suspends and is woken.
            id = await env.StartTestInstanceAsync(image, tenant, mode: "sleep", o => o.Input = """{"mode":"sleep","sleep_ms":1500}""");
        }

        await env.WaitForEndAsync(id);
        var wake = Assert.Single(spans.Stopped, s => s.DisplayName == "WakeInstance" && s.GetTagItem("runtara.instance_id") as string == id);
        Assert.Equal(traceId, wake.TraceId);
    }

    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name.StartsWith("Runtara", StringComparison.Ordinal),
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = Started.Add,
                ActivityStopped = Stopped.Add,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentBag<Activity> Started { get; } = [];

        public ConcurrentBag<Activity> Stopped { get; } = [];

        public void Dispose() => _listener.Dispose();
    }
}

using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Children;
using Runtara.Engine.Events;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Sleep;
using Runtara.Engine.Storage;
using Runtara.Engine.Tests.Infrastructure;
using Runtara.Engine.Waits;

namespace Runtara.Engine.Tests.Instances;

/// <summary>
/// Fencing (docs/protocol.md "Incarnations") on SQLite and PostgreSQL: two registrations of one
/// instance id; every write of the first registration's process is refused with STALE_INCARNATION and
/// stores nothing, the second's are accepted, and a request that presents no incarnation is not fenced.
/// </summary>
public abstract class IncarnationFenceTests : CoreStoreSuite
{
    private const int Timeout = 60_000;
    private readonly string _tenant = $"t-{Guid.NewGuid():N}";
    private readonly string _id = $"i-{Guid.NewGuid():N}";
    private readonly IOptions<EngineOptions> _options = Options.Create(new EngineOptions());

    private InstanceService Instances => new(Store, Activity, new WakeupNotifier(), TimeProvider.System, _options, NullLogger<InstanceService>.Instance);

    private CheckpointService Checkpoints => new(Store, Activity, TimeProvider.System, _options);

    private ActivityTracker Activity => new(Store, TimeProvider.System, _options);

    [SkippableFact(Timeout = Timeout)]
    public async Task Each_registration_counts_the_incarnation_up()
    {
        SkipIfNeeded();
        var first = await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None);
        var second = await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None);

        Assert.Equal(1, first.Incarnation);
        Assert.Equal(2, second.Incarnation);
        Assert.Equal(2, (await Store.GetInstanceAsync(_id, CancellationToken.None))!.Incarnation);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_created_instance_starts_at_incarnation_one_when_it_registers()
    {
        SkipIfNeeded();
        await Instances.CreateAsync(_id, _tenant, CancellationToken.None);
        Assert.Equal(0, (await Store.GetInstanceAsync(_id, CancellationToken.None))!.Incarnation);

        var registration = await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None);

        Assert.Equal(1, registration.Incarnation);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Writes_of_a_superseded_registration_are_refused_and_store_nothing()
    {
        SkipIfNeeded();
        var old = (await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None)).Incarnation;
        var current = (await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None)).Incarnation;
        var notifier = new WakeupNotifier();
        var sleeper = new SleepService(Store, TimeProvider.System, _options, NullLogger<SleepService>.Instance);
        var events = new EventService(Store, notifier, TimeProvider.System, _options, NullLogger<EventService>.Instance);
        var signals = new SignalService(Store, Activity, notifier, TimeProvider.System, NullLogger<SignalService>.Instance);
        var waits = new WaitService(Store, Activity, TimeProvider.System, NullLogger<WaitService>.Instance);
        var children = new ChildService(Store, notifier, TimeProvider.System, NullLogger<ChildService>.Instance);
        await signals.SendAsync(_id, SignalKind.Pause, [], CancellationToken.None);
        await signals.SendCustomAsync(_id, "approval", "yes"u8.ToArray(), CancellationToken.None);
        var eventsBefore = await CountEventsAsync();

        await AssertStaleAsync(old, current, () => Checkpoints.SaveAsync(_id, "step-1", "stale"u8.ToArray(), old, CancellationToken.None).AsTask());
        await AssertStaleAsync(old, current, () => sleeper.SleepAsync(_id, 60_000, "sleep-1", "stale"u8.ToArray(), old, CancellationToken.None));
        foreach (var kind in new[] { EventKind.Heartbeat, EventKind.Custom, EventKind.Completed, EventKind.Failed, EventKind.Suspended })
        {
            await AssertStaleAsync(old, current, () => events.RecordAsync(new ReportedEvent(_id, kind, null, "stale"u8.ToArray(), null, 0), old, CancellationToken.None));
        }

        await AssertStaleAsync(old, current, () => signals.AcknowledgeAsync(_id, SignalKind.Pause, true, old, CancellationToken.None));
        await AssertStaleAsync(old, current, () => signals.PollAsync(_id, "approval", "approval-taken", old, CancellationToken.None));
        await AssertStaleAsync(old, current, () => signals.PollAsync(_id, "approval", null, old, CancellationToken.None));
        await AssertStaleAsync(old, current, () => Checkpoints.RecordRetryAttemptAsync(_id, "step-1", 1, "boom", old, CancellationToken.None));
        await AssertStaleAsync(old, current, () => waits.WaitAsync(_id, "wait-1", ["approval"], [], null, suspend: true, old, CancellationToken.None));
        await AssertStaleAsync(old, current, () => children.StartAsync(_id, "child", "image", [], false, 1024, old, CancellationToken.None));

        // Nothing of the stale process is stored: no checkpoint, sleep, wait, retry, child or event,
        // the pause is still unacknowledged, the custom signal still waits, the instance still runs.
        var instance = (await Store.GetInstanceAsync(_id, CancellationToken.None))!;
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Null(instance.CheckpointId);
        Assert.Null(instance.WaitingFor);
        Assert.Null(await Store.GetCheckpointAsync(_id, "step-1", CancellationToken.None));
        Assert.Null(await Store.GetCheckpointAsync(_id, "sleep-1", CancellationToken.None));
        Assert.Null(await Store.GetCheckpointAsync(_id, "approval-taken", CancellationToken.None));
        Assert.Empty((await Store.ListRetryAttemptsAsync(new RetryAttemptQuery(_id, null, 100, 0), CancellationToken.None)).Items);
        Assert.Null(await Store.WriteAsync("read", (w, t) => w.GetChildIdAsync(_id, "child", t), CancellationToken.None));
        Assert.Equal(eventsBefore, await CountEventsAsync());
        Assert.Equal(SignalKind.Pause, (await Store.GetPendingSignalAsync(_id, CancellationToken.None))?.Kind);
        Assert.NotNull(await Store.WriteAsync("read", (w, t) => w.GetCustomSignalTimeAsync(_id, "approval", t), CancellationToken.None));

        // The current registration's writes go through.
        Assert.False((await Checkpoints.SaveAsync(_id, "step-1", "fresh"u8.ToArray(), current, CancellationToken.None)).Found);
        Assert.True(await signals.AcknowledgeAsync(_id, SignalKind.Pause, true, current, CancellationToken.None));
        var (_, custom) = await signals.PollAsync(_id, "approval", "approval-taken", current, CancellationToken.None);
        Assert.Equal("yes", Encoding.UTF8.GetString(custom!.Payload));
        await Checkpoints.RecordRetryAttemptAsync(_id, "step-2", 1, "boom", current, CancellationToken.None);
        Assert.True((await children.StartAsync(_id, "child", "image", [], false, 1024, current, CancellationToken.None)).Created);
        await events.RecordAsync(new ReportedEvent(_id, EventKind.Heartbeat, null, [], null, 0), current, CancellationToken.None);
        await events.RecordAsync(new ReportedEvent(_id, EventKind.Completed, null, "\"done\""u8.ToArray(), null, 0), current, CancellationToken.None);

        instance = (await Store.GetInstanceAsync(_id, CancellationToken.None))!;
        Assert.Equal(InstanceStatus.Completed, instance.Status);
        Assert.Equal("\"done\"", Encoding.UTF8.GetString(instance.Output!));
        Assert.Equal("fresh", Encoding.UTF8.GetString((await Store.GetCheckpointAsync(_id, "step-1", CancellationToken.None))!.State));

        // A finished instance still answers the stale process STALE_INCARNATION, not a state error.
        await AssertStaleAsync(old, current, () => Checkpoints.SaveAsync(_id, "step-9", "stale"u8.ToArray(), old, CancellationToken.None).AsTask());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task The_current_registration_sleeps_and_a_request_without_incarnation_is_not_fenced()
    {
        SkipIfNeeded();
        await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None);
        var current = (await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None)).Incarnation;
        var sleeper = new SleepService(Store, TimeProvider.System, _options, NullLogger<SleepService>.Instance);

        // A 1.4.1 client presents nothing: accepted as before (docs/protocol.md).
        Assert.False((await Checkpoints.SaveAsync(_id, "step-1", "old client"u8.ToArray(), IncarnationFence.NotPresented, CancellationToken.None)).Found);
        var outcome = await sleeper.SleepAsync(_id, 60_000, "sleep-1", [], current, CancellationToken.None);

        Assert.True(outcome.Suspended);
        Assert.Equal(InstanceStatus.Suspended, (await Store.GetInstanceAsync(_id, CancellationToken.None))!.Status);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_relaunch_after_the_stale_process_checkpointed_keeps_what_it_stored_before()
    {
        SkipIfNeeded();
        var old = (await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None)).Incarnation;
        await Checkpoints.SaveAsync(_id, "step-1", "first"u8.ToArray(), old, CancellationToken.None);

        var current = (await Instances.RegisterAsync(_id, _tenant, null, CancellationToken.None)).Incarnation;
        var replayed = await Checkpoints.SaveAsync(_id, "step-1", "second"u8.ToArray(), current, CancellationToken.None);

        Assert.True(replayed.Found);
        Assert.Equal("first", Encoding.UTF8.GetString(replayed.State));
        await Assert.ThrowsAsync<StaleIncarnationException>(() => Checkpoints.SaveAsync(_id, "step-2", "x"u8.ToArray(), old, CancellationToken.None).AsTask());
    }

    private void SkipIfNeeded() => Skip.If(SkipReason is not null, SkipReason);

    private async Task<int> CountEventsAsync() =>
        (await Store.ListEventsAsync(new EventQuery(_id, null, null, null, null, null, 1000, 0), CancellationToken.None)).Items.Count;

    private async Task AssertStaleAsync(long old, long current, Func<Task> write)
    {
        var refused = await Assert.ThrowsAsync<StaleIncarnationException>(write);
        Assert.Equal(CoreErrorCodes.StaleIncarnation, refused.Code);
        Assert.Equal(_id, refused.InstanceId);
        Assert.Equal(old, refused.Presented);
        Assert.Equal(current, refused.Current);
    }
}

public sealed class SqliteIncarnationFenceTests : IncarnationFenceTests, IDisposable
{
    private readonly TempDirectory _directory = new("runtara-fence");

    protected override string? SkipReason => null;

    protected override Task<ICoreStore> OpenAsync() => OpenSqliteAsync(Path.Combine(_directory.Path, "core.db"));

    public void Dispose() => _directory.Dispose();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresIncarnationFenceTests(PostgresFixture fixture) : IncarnationFenceTests
{
    protected override string? SkipReason => fixture.SkipReason;

    protected override Task<ICoreStore> OpenAsync() => OpenPostgresAsync(fixture.ConnectionString);
}

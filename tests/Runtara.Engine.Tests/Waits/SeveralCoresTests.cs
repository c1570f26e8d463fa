using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Storage;
using Runtara.Engine.Tests.Infrastructure;
using Runtara.Engine.Waits;

namespace Runtara.Engine.Tests.Waits;

/// <summary>
/// Two engines (two cores) over one PostgreSQL database (docs/core.md "Several cores"): nothing an
/// instance relies on lives in one core's memory, and a change made through one core wakes the other
/// core's long poll at once (NOTIFY), well before its recheck interval.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SeveralCoresTests(PostgresFixture fixture) : IAsyncLifetime
{
    private const int Timeout = 60_000;
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(30);
    private readonly string _tenant = $"t-{Guid.NewGuid():N}";
    private Core? _one;
    private Core? _two;

    private Core One => _one ?? throw new InvalidOperationException("not started");

    private Core Two => _two ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        if (fixture.SkipReason is not null)
        {
            return;
        }

        // A database of its own: no other test's due instances answer the long poll.
        var database = $"cores_{Guid.NewGuid():N}";
        await fixture.Cluster.CreateDatabaseAsync(database);
        var connectionString = fixture.Cluster.ConnectionString(database);
        _one = await Core.StartAsync(connectionString);
        _two = await Core.StartAsync(connectionString);
    }

    public async Task DisposeAsync()
    {
        foreach (var core in new[] { _one, _two })
        {
            if (core is not null)
            {
                await core.DisposeAsync();
            }
        }
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task An_instance_registered_through_one_core_checkpoints_and_completes_through_the_other()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var id = $"i-{Guid.NewGuid():N}";
        var incarnation = (await One.Get<InstanceService>().RegisterAsync(id, _tenant, null, CancellationToken.None)).Incarnation;

        var saved = await Two.Get<CheckpointService>().SaveAsync(id, "step-1", "state"u8.ToArray(), incarnation, CancellationToken.None);
        var replayed = await One.Get<CheckpointService>().SaveAsync(id, "step-1", "other"u8.ToArray(), incarnation, CancellationToken.None);
        await Two.Get<EventService>().RecordAsync(new ReportedEvent(id, EventKind.Completed, null, "\"done\""u8.ToArray(), null, 0), incarnation, CancellationToken.None);

        Assert.False(saved.Found);
        Assert.True(replayed.Found);
        Assert.Equal("state", Encoding.UTF8.GetString(replayed.State));
        var instance = await One.Get<InstanceService>().GetAsync(id, fromInstance: false, CancellationToken.None);
        Assert.Equal(InstanceStatus.Completed, instance!.Status);
        Assert.Equal("\"done\"", Encoding.UTF8.GetString(instance.Output!));

        // The fence is the database's too: a relaunch through one core stops the old process on the other.
        await Two.Get<InstanceService>().RegisterAsync($"{id}-b", _tenant, null, CancellationToken.None);
        var relaunched = (await One.Get<InstanceService>().RegisterAsync($"{id}-b", _tenant, null, CancellationToken.None)).Incarnation;
        await Assert.ThrowsAsync<StaleIncarnationException>(() => Two.Get<CheckpointService>().SaveAsync($"{id}-b", "s", [], relaunched - 1, CancellationToken.None).AsTask());
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_long_poll_on_one_core_answers_at_once_when_a_signal_through_the_other_makes_an_instance_due()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var id = $"i-{Guid.NewGuid():N}";
        var incarnation = (await One.Get<InstanceService>().RegisterAsync(id, _tenant, null, CancellationToken.None)).Incarnation;
        var wait = await One.Get<WaitService>().WaitAsync(id, "wait-approval", ["approval"], [], null, suspend: true, incarnation, CancellationToken.None);
        Assert.True(wait.Suspended);

        var started = Stopwatch.StartNew();
        var poll = One.Get<DueWorkService>().ClaimAsync(10, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20), CancellationToken.None);
        await Two.Get<SignalService>().SendCustomAsync(id, "approval", "yes"u8.ToArray(), CancellationToken.None);
        var due = await poll;

        Assert.Contains(due.Wakeups, wakeup => wakeup.InstanceId == id);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"the long poll answered after {started.Elapsed} (recheck {Recheck})");
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_long_poll_that_started_before_the_signal_is_woken_by_the_other_core()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var id = $"i-{Guid.NewGuid():N}";
        var incarnation = (await One.Get<InstanceService>().RegisterAsync(id, _tenant, null, CancellationToken.None)).Incarnation;
        await One.Get<WaitService>().WaitAsync(id, "wait-approval", ["approval"], [], null, suspend: true, incarnation, CancellationToken.None);

        // The poll looks once (nothing due) and waits; the signal comes through core two a moment later.
        var poll = One.Get<DueWorkService>().ClaimAsync(10, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20), CancellationToken.None);
        // Not for correctness (the poll answers either way): it lets the poll reach its wait, so the
        // pulse that ends it can only be core two's NOTIFY.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var sent = Stopwatch.StartNew();
        await Two.Get<SignalService>().SendCustomAsync(id, "approval", "yes"u8.ToArray(), CancellationToken.None);
        var due = await poll;

        Assert.Contains(due.Wakeups, wakeup => wakeup.InstanceId == id);
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(5), $"the long poll answered {sent.Elapsed} after the signal (recheck {Recheck})");
    }

    [SkippableFact(Timeout = 120_000)]
    public async Task Each_of_1000_due_wake_ups_is_claimed_by_exactly_one_of_two_cores_polled_side_by_side()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        const int Count = 1000;
        var ids = Enumerable.Range(0, Count).Select(n => $"w{n}-{Guid.NewGuid():N}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (id, token) =>
        {
            var core = id.GetHashCode() % 2 == 0 ? One : Two;
            var incarnation = (await core.Get<InstanceService>().RegisterAsync(id, _tenant, null, token)).Incarnation;
            // A wait whose 1 ms deadline passes at once: the instance is suspended and due.
            Assert.True((await core.Get<WaitService>().WaitAsync(id, "nap", [], [], 1, suspend: true, incarnation, token)).Suspended);
        });

        await Task.Delay(100); // every 1 ms deadline has passed

        // Two environments' wake schedulers, one on each core, claiming in small batches until nothing is left.
        var claims = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task PollAsync(Core core)
        {
            while (true)
            {
                var due = await core.Get<DueWorkService>().ClaimAsync(7, TimeSpan.FromMinutes(5), TimeSpan.Zero, CancellationToken.None);
                if (due.IsEmpty)
                {
                    return;
                }

                foreach (var wakeup in due.Wakeups)
                {
                    claims.Add(wakeup.InstanceId);
                }
            }
        }

        await Task.WhenAll(PollAsync(One), PollAsync(Two), PollAsync(One), PollAsync(Two));

        var mine = claims.Where(ids.Contains).ToList();
        Assert.Equal(Count, mine.Count);
        Assert.Equal(Count, mine.Distinct().Count());
    }

    /// <summary>One core's engine: its own services, store and notifier, over the shared database.</summary>
    private sealed class Core(ServiceProvider services) : IAsyncDisposable
    {
        public static async Task<Core> StartAsync(string connectionString)
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddRuntaraEngine().Configure(o =>
            {
                o.PostgresConnectionString = connectionString;
                o.DueWorkRecheckInterval = Recheck;
            });
            var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<ICoreStore>().InitializeAsync(CancellationToken.None);
            return new Core(provider);
        }

        public T Get<T>()
            where T : notnull => services.GetRequiredService<T>();

        public ValueTask DisposeAsync() => services.DisposeAsync();
    }
}

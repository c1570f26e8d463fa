using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Runtara.Environment.Core;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Environment.Tests.Storage;
using Runtara.Environment.Workers;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;

namespace Runtara.Environment.Tests.Workers;

/// <summary>
/// Two environments on one PostgreSQL database and one core (docs/environment.md, "Several environments"):
/// each acts only on the runs it owns, a dead one's runs are taken over once its lease expired, and an image
/// registered through one launches on the other. Each test has its own database; each environment its own
/// data directory and uid block.
/// </summary>
public sealed class SeveralEnvironmentsTests(PostgresStoreFixture postgres) : IClassFixture<PostgresStoreFixture>
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Runtara:Environment:RunLease"] = "00:00:02",
        ["Runtara:Environment:RunLeaseRenewInterval"] = "00:00:00.500",
    };

    // Only for the silent instance: on a loaded machine a launch can take seconds before the process reports.
    private static readonly Dictionary<string, string?> ShortHeartbeat = new(Settings)
    {
        ["Runtara:Environment:HeartbeatTimeout"] = "00:00:04",
        ["Runtara:Environment:HeartbeatInterval"] = "00:00:00.300",
    };

    [SkippableFact]
    public async Task Runs_of_a_live_environment_are_left_alone_and_those_of_a_dead_one_are_taken_over_and_complete()
    {
        await using var pair = await StartPairAsync();
        var (a, b) = pair;
        var tenant = Ids.Tenant();
        var image = await a.RegisterTestImageAsync(tenant);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await a.StartTestInstanceAsync(image, tenant, "custom_signal"));
        }

        foreach (var id in ids)
        {
            await a.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
        }

        var envA = Supervisor(a).EnvironmentId;
        var envB = Supervisor(b).EnvironmentId;
        // B's workers run, explicitly and on their own, for longer than a lease: A renews, so nothing is B's to act on.
        var leases = Worker<RunLeaseWorker>(b);
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTimeOffset.UtcNow < until)
        {
            Assert.Equal(0, await leases.TakeOverAsync(default));
            await Worker<HeartbeatMonitor>(b).RunOnceAsync(default);
            await Worker<CleanupWorker>(b).RunOnceAsync(default);
            await Task.Delay(200);
        }

        // B's start-up recovery leaves them alone too.
        await b.RestartEnvironmentAsync();
        foreach (var id in ids)
        {
            var info = await b.Client.GetInstanceAsync(id);
            var run = await Store(b).GetRunAsync(id, default);
            Assert.Equal((InstanceStatus.Running, 1, 0), (info.Status, info.LaunchCount, info.RetryCount));
            Assert.Equal(envA, run!.OwnerId);
        }

        await a.CrashEnvironmentAsync();

        foreach (var id in ids)
        {
            await b.WaitForStatusAsync(id, InstanceStatus.Running, i => i.LaunchCount == 2 && i.Pid is not null);
            await b.Client.SendCustomSignalAsync(id, "wait-input", "taken"u8.ToArray());
        }

        foreach (var id in ids)
        {
            var done = await b.WaitForEndAsync(id);
            Assert.True(done.Status == InstanceStatus.Completed, $"{done.Status}: {done.Error}");
            Assert.Equal("taken", done.Output!.Value.GetProperty("received").GetString());
            // A machine failure is not the workflow's failure: the relaunch used no retry.
            Assert.Equal((2, 0), (done.LaunchCount, done.RetryCount));
            Assert.Equal(envB, (await Store(b).GetRunAsync(id, default))!.OwnerId);
        }

        Assert.Empty(await Store(b).ListOwnedRunsAsync(envA, [RunStatus.Pending, RunStatus.Running, RunStatus.Suspended], default));
        // B's image cache was empty: it fetched the content from the database.
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(b.EnvironmentDataDirectory, "images", "blobs")));
    }

    [SkippableFact]
    public async Task An_image_registered_through_one_environment_launches_on_another_with_an_empty_image_cache()
    {
        await using var pair = await StartPairAsync();
        var (a, b) = pair;
        var tenant = Ids.Tenant();
        var image = await a.RegisterTestImageAsync(tenant);
        Assert.Empty(Directory.GetFiles(Path.Combine(b.EnvironmentDataDirectory, "images", "blobs")));

        var id = await b.StartTestInstanceAsync(image, tenant, null, o => o.Input = """{"x":7}""");
        var done = await b.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Completed, done.Status);
        Assert.Equal(7, done.Output!.Value.GetProperty("echo").GetProperty("x").GetInt32());
        Assert.Single(Directory.GetFiles(Path.Combine(b.EnvironmentDataDirectory, "images", "blobs")));

        // Deleting the image (its only version) removes its content from the database too.
        var sha = (await Store(a).GetImageAsync(image, default))!.Sha256;
        Assert.True(await Store(a).CopyImageContentAsync(sha, Stream.Null, default));
        await a.Client.DeleteImageAsync(image, tenant);
        Assert.False(await Store(a).CopyImageContentAsync(sha, Stream.Null, default));
    }

    [SkippableFact]
    public async Task Stopping_through_one_environment_a_run_another_runs_cancels_it_through_the_core_and_its_owner_ends_the_process()
    {
        await using var pair = await StartPairAsync();
        var (a, b) = pair;
        var run = await a.StartTestInstanceAsync("wait_signal");
        var running = await a.WaitForStatusAsync(run.Id, InstanceStatus.Running, i => i.Pid is not null);

        await b.Client.StopInstanceAsync(run.Id);

        var stopped = await a.WaitForEndAsync(run.Id);
        Assert.Equal(InstanceStatus.Cancelled, stopped.Status);
        // The owner saw its process end and kept the run: nothing was relaunched.
        await Wait.UntilAsync(() => Task.FromResult(Supervisor(a).IsLive(run.Id)), live => !live, EnvironmentHarness.Deadline, "the owner's process to end");
        Assert.Equal(1, (await a.Client.GetInstanceAsync(run.Id)).LaunchCount);
        Assert.False(File.Exists($"/proc/{running.Pid}/stat") && !File.ReadAllText($"/proc/{running.Pid}/stat").Contains(") Z ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Each_wake_up_is_relaunched_by_exactly_one_environment()
    {
        await using var pair = await StartPairAsync();
        var (a, b) = pair;
        var tenant = Ids.Tenant();
        var image = await a.RegisterTestImageAsync(tenant);
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await a.StartTestInstanceAsync(image, tenant, "sleep", o => o.Input = """{"mode":"sleep","sleep_ms":1500}"""));
        }

        foreach (var id in ids)
        {
            var done = await a.WaitForEndAsync(id);
            Assert.True(done.Status == InstanceStatus.Completed, $"{done.Status}: {done.Error}");
            // One launch to sleep, one wake: a wake-up relaunched by both environments would show three.
            Assert.Equal(2, done.LaunchCount);
        }
    }

    [SkippableFact]
    public async Task A_silent_instance_is_acted_on_once_by_its_owner_only()
    {
        await using var pair = await StartPairAsync(ShortHeartbeat);
        var (a, b) = pair;
        var run = await a.StartTestInstanceAsync("hang", o => o.MaxRetries = 1);

        var done = await a.WaitForEndAsync(run.Id);

        // One kill and one retry, then one kill and the failure: both environments acting would retry twice or relaunch elsewhere.
        Assert.Equal(InstanceStatus.Failed, done.Status);
        Assert.Equal((2, 1), (done.LaunchCount, done.RetryCount));
        Assert.Equal(Supervisor(a).EnvironmentId, (await Store(a).GetRunAsync(run.Id, default))!.OwnerId);
    }

    [SkippableFact]
    public async Task Each_of_1000_runs_of_a_dead_environment_is_taken_over_by_exactly_one_of_two_environments()
    {
        // Leases long enough that only the explicit passes below take over (the workers' own first pass is minutes away),
        // and a heartbeat interval long enough that the heartbeat monitor does not settle a claimed run (active, owned,
        // no process) before its takeover reaches it: on a loaded machine a batch takes longer than the harness's 1 s.
        await using var pair = await StartPairAsync(new Dictionary<string, string?>
        {
            ["Runtara:Environment:RunLease"] = "00:10:00",
            ["Runtara:Environment:RunLeaseRenewInterval"] = "00:05:00",
            ["Runtara:Environment:HeartbeatInterval"] = "00:10:00",
        });
        var (a, b) = pair;
        var tenant = Ids.Tenant();
        var ids = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            // A dead environment's runs whose leases expired; the core does not know them, so each takeover settles
            // its run at once (failed) instead of launching 1000 processes.
            var id = $"orphan-{i}-{Guid.NewGuid():N}";
            ids.Add(id);
            Assert.True(await Store(a).TryInsertRunAsync(new RunRecord
            {
                InstanceId = id, TenantId = tenant, ImageId = "img", ImageName = "img", Status = RunStatus.Running, TimeoutSeconds = 300,
                OwnerId = "env-dead", LeaseUntilMs = 1, CreatedAtMs = 1, UpdatedAtMs = 1,
            }, default));
        }

        static async Task<int> DrainAsync(RunLeaseWorker worker)
        {
            var total = 0;
            for (int taken; (taken = await worker.TakeOverAsync(default)) > 0;)
            {
                total += taken;
            }

            return total;
        }

        var counts = await Task.WhenAll(Task.Run(() => DrainAsync(Worker<RunLeaseWorker>(a))), Task.Run(() => DrainAsync(Worker<RunLeaseWorker>(b))));

        Assert.Equal(1000, counts.Sum());
        var owners = new[] { Supervisor(a).EnvironmentId, Supervisor(b).EnvironmentId };
        foreach (var id in ids)
        {
            var run = await Store(a).GetRunAsync(id, default);
            Assert.Equal(RunStatus.Failed, run!.Status);
            Assert.Contains(run.OwnerId, owners);
        }
    }

    [SkippableFact]
    public async Task Each_of_1000_silent_runs_is_acted_on_once_and_by_its_owner_only()
    {
        var logsA = new CapturedLogs();
        var logsB = new CapturedLogs();
        // Both heartbeat monitors run on their own every 300 ms; leases long enough that nothing is taken over.
        await using var pair = await StartPairAsync(
            new Dictionary<string, string?>
            {
                ["Runtara:Environment:RunLease"] = "00:10:00",
                ["Runtara:Environment:RunLeaseRenewInterval"] = "00:05:00",
                ["Runtara:Environment:HeartbeatInterval"] = "00:00:00.300",
                ["Runtara:Environment:HeartbeatTimeout"] = "00:00:01",
            },
            logsA,
            logsB);
        var (a, b) = pair;
        var tenant = Ids.Tenant();
        var core = a.Services.GetRequiredService<ICoreClient>();
        var owners = new Dictionary<string, string> { ["a"] = Supervisor(a).EnvironmentId, ["b"] = Supervisor(b).EnvironmentId };
        var runs = new Dictionary<string, string>();
        for (var i = 0; i < 1000; i++)
        {
            // Runs whose processes fell silent (gone without a word): known to the core, recorded running, half owned by each.
            var id = $"silent-{i}-{Guid.NewGuid():N}";
            var owner = i % 2 == 0 ? "a" : "b";
            runs[id] = owner;
            await core.CreateInstanceAsync(id, tenant, default);
            Assert.True(await Store(a).TryInsertRunAsync(new RunRecord
            {
                InstanceId = id, TenantId = tenant, ImageId = "img", ImageName = "img", Status = RunStatus.Running, TimeoutSeconds = 300,
                OwnerId = owners[owner], LeaseUntilMs = long.MaxValue / 2, CreatedAtMs = 1, UpdatedAtMs = 1,
            }, default));
        }

        foreach (var id in runs.Keys)
        {
            var settled = await Wait.UntilAsync(() => Store(a).GetRunAsync(id, default), r => r is { IsActive: false }, EnvironmentHarness.Deadline, $"{id} to be settled");
            Assert.Equal((RunStatus.Failed, owners[runs[id]]), (settled!.Status, settled.OwnerId));
            Assert.Equal(CoreStatus.StatusFailed, (await core.GetStatusAsync(id, default))!.Status);
        }

        // Each run failed once, by its owner: found silent at the core ([InstanceSilent]) or without a watched process,
        // then settled ([InstanceFailed]). The other environment did neither for it, and the owner did each at most once.
        var logs = new Dictionary<string, IReadOnlyList<string>> { ["a"] = Actions(logsA), ["b"] = Actions(logsB) };
        foreach (var (id, owner) in runs)
        {
            var mine = logs[owner].Where(line => line.Contains(id, StringComparison.Ordinal)).ToList();
            Assert.Equal(1, mine.Count(line => line.Contains("[InstanceFailed]", StringComparison.Ordinal)));
            Assert.InRange(mine.Count(line => line.Contains("[InstanceSilent]", StringComparison.Ordinal)), 0, 1);
            Assert.DoesNotContain(logs[owner == "a" ? "b" : "a"], line => line.Contains(id, StringComparison.Ordinal));
        }

        static IReadOnlyList<string> Actions(CapturedLogs logs) =>
            logs.Lines.Where(line => line.Contains("[InstanceSilent]", StringComparison.Ordinal) || line.Contains("[InstanceFailed]", StringComparison.Ordinal)).ToList();
    }

    private async Task<Pair> StartPairAsync(Dictionary<string, string?>? settings = null, CapturedLogs? logsA = null, CapturedLogs? logsB = null)
    {
        settings ??= Settings;
        Skip.If(postgres.Cluster is null, PostgresCluster.SkipReason);
        var database = $"env_{Guid.NewGuid():N}";
        await postgres.Cluster!.CreateDatabaseAsync(database);
        var a = await EnvironmentHarness.StartAsync(settings, environmentPostgres: postgres.Cluster.ConnectionString(database), logs: logsA);
        try
        {
            return new Pair(a, await EnvironmentHarness.StartAsync(settings, environmentPostgres: postgres.Cluster.ConnectionString(database), logs: logsB, sharedCore: a));
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    private static InstanceSupervisor Supervisor(EnvironmentHarness env) => env.Services.GetRequiredService<InstanceSupervisor>();

    private static IEnvironmentStore Store(EnvironmentHarness env) => env.Services.GetRequiredService<IEnvironmentStore>();

    private static T Worker<T>(EnvironmentHarness env) => env.Services.GetServices<IHostedService>().OfType<T>().Single();

    /// <summary>Two environments sharing A's core: B stops first, as A's harness stops the core.</summary>
    private sealed record Pair(EnvironmentHarness A, EnvironmentHarness B) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Lifecycle;

/// <summary>
/// Several cores and environments on one PostgreSQL (issue 17, docs/deployment.md): two cores and two
/// environments run the counting workflow many times; a third of the way in, one core and one environment
/// die by SIGKILL together with every instance process of that environment, as a machine failure would.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper log)
{
    private const int Steps = 4;

    // Process starts cost CPU: keeping a few dozen runs in flight keeps a 2-core machine busy without thrashing it.
    private const int InFlight = 24;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(8);

    /// <summary>The issue's 500; RUNTARA_FAILOVER_INSTANCES sets another count for a quicker local run.</summary>
    private static readonly int Instances = int.TryParse(Environment.GetEnvironmentVariable("RUNTARA_FAILOVER_INSTANCES"), CultureInfo.InvariantCulture, out var count) ? count : 500;

    [SkippableFact]
    public async Task With_a_core_and_an_environment_killed_mid_run_every_instance_completes_each_side_effect_once_and_no_acknowledged_checkpoint_is_lost()
    {
        Skip.If(PostgresCluster.SkipReason is not null, PostgresCluster.SkipReason);
        await using var cluster = await Cluster.StartAsync(cores: 2, environments: 2, runLease: TimeSpan.FromSeconds(3));
        await using var survivor = cluster.Client(0);
        await using var doomed = cluster.Client(1);
        var tenant = Ids.Tenant();
        // Registered through one environment, run by both: images are shared through the database.
        var image = await survivor.RegisterImageFromDirectoryAsync(
            Paths.SdkTestWorkflowFolder, new RegisterImageOptions { TenantId = tenant, Name = "counting-workflow", Entrypoint = "Runtara.Sdk.TestWorkflow.dll" });
        var counters = SharedDirectory.Open(Path.Combine(cluster.Root, "counters"));

        var clock = Stopwatch.StartNew();
        var active = new Dictionary<string, string>(StringComparer.Ordinal);
        var done = new Dictionary<string, string>(StringComparer.Ordinal);
        var started = 0;
        var killedAt = TimeSpan.Zero;
        var killedProcesses = 0;
        while (done.Count < Instances)
        {
            Assert.True(clock.Elapsed < Deadline, $"{done.Count} of {Instances} completed after {clock.Elapsed}; still running: {string.Join(", ", active.Keys.Take(5))}\n{cluster.EnvironmentOutput(0)}");
            while (started < Instances && active.Count < InFlight)
            {
                var folder = SharedDirectory.Open(Path.Combine(counters, started.ToString(CultureInfo.InvariantCulture)));
                PrepareCounters(folder);
                // Alternate between the environments until the second one dies; no retries, so a lost machine must not fail a run.
                var client = killedAt == TimeSpan.Zero && started % 2 == 1 ? doomed : survivor;
                var id = await client.StartInstanceAsync(new StartInstanceOptions
                {
                    ImageId = image,
                    TenantId = tenant,
                    MaxRetries = 0,
                    Input = $$"""{"steps":{{Steps}},"stepDelayMs":200,"counterDirectory":"{{folder}}","journal":true}""",
                });
                active[id] = folder;
                started++;
            }

            if (killedAt == TimeSpan.Zero && started >= Instances / 3)
            {
                killedAt = clock.Elapsed;
                await cluster.KillCoreAsync(1);
                killedProcesses = await cluster.KillEnvironmentAndItsInstancesAsync(1);
                log.WriteLine($"{killedAt}: killed core 2, environment 2 and {killedProcesses} of its instance processes ({active.Count} runs in flight, {done.Count} completed)");
            }

            foreach (var (id, folder) in active.ToList())
            {
                var info = await survivor.GetInstanceAsync(id, tenant);
                Assert.False(info.Status is InstanceStatus.Failed or InstanceStatus.Cancelled, $"{id} ended {info.Status}: {info.Error}");
                if (info.Status == InstanceStatus.Completed)
                {
                    active.Remove(id);
                    done[id] = folder;
                }
            }

            await Task.Delay(200);
        }

        log.WriteLine($"{Instances} instances completed in {clock.Elapsed}");
        var replays = 0;
        foreach (var (id, folder) in done)
        {
            for (var step = 0; step < Steps; step++)
            {
                var effect = Path.Combine(folder, $"effect-{step}");
                Assert.True(File.Exists(effect), $"{id}: the side effect of step {step} is missing");
                Assert.StartsWith($"{id} ", File.ReadAllText(effect), StringComparison.Ordinal);
                var journal = File.ReadAllLines(Path.Combine(folder, $"work-{step}.count"));
                var firstAck = Array.IndexOf(journal, "ack");
                Assert.True(firstAck > 0, $"{id}: step {step} was never acknowledged");
                // An execution after an acknowledged checkpoint would mean the checkpoint was lost.
                Assert.DoesNotContain("x", journal[firstAck..]);
                replays += firstAck - 1;
            }
        }

        Assert.Equal(0, await cluster.ActiveRunsOwnedByAsync(1));
        log.WriteLine($"{replays} step executions repeated (steps in flight when their process died; their effects were deduplicated by key)");
    }

    /// <summary>
    /// Creates the step counters open to every user: a run taken over by the other environment runs as a user of that
    /// environment's uid block, and a process killed between creating a counter (umask 077) and opening it up would
    /// otherwise leave one its successor cannot append to.
    /// </summary>
    private static void PrepareCounters(string folder)
    {
        for (var step = 0; step < Steps; step++)
        {
            var path = Path.Combine(folder, $"work-{step}.count");
            File.WriteAllBytes(path, []);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
            }
        }
    }
}

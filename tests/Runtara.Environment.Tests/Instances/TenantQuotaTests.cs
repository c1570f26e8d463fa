using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Instances;

/// <summary>
/// MaxActiveInstancesPerTenant applied to children (docs/environment.md, "Tenant quota"): a child start
/// over the quota is retried when its lease runs out, and a suspended parent holds no slot.
/// </summary>
public sealed class TenantQuotaTests
{
    private const int Quota = 2;
    private const string QuotaSetting = "2";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Concurrent_starts_of_one_tenant_never_take_more_slots_than_its_quota()
    {
        await using var env = await EnvironmentHarness.StartAsync(new Dictionary<string, string?> { ["Runtara:Environment:MaxActiveInstancesPerTenant"] = QuotaSetting });
        var tenant = Ids.Tenant();
        var image = await env.RegisterTestImageAsync(tenant);

        // All at once, each on a connection of its own, so that each one's count would see the same free
        // slots were the count and the insert apart.
        var clients = Enumerable.Range(0, 8).Select(_ => env.NewClient()).ToList();
        await Task.WhenAll(clients.Select(client => client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant })));
        var attempts = await Task.WhenAll(clients.Select(async client =>
        {
            try
            {
                await using (client)
                {
                    return await client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"mode":"wait_signal"}""" });
                }
            }
            catch (Management.QuotaExceededException)
            {
                return null;
            }
        }));

        var started = attempts.OfType<string>().ToList();
        Assert.Equal(Quota, started.Count);
        foreach (var id in started)
        {
            await env.Client.StopInstanceAsync(id);
        }
    }

    [Fact]
    public async Task Children_over_the_tenant_quota_start_as_others_finish_and_the_suspended_parent_collects_every_result()
    {
        const int Children = 3;
        using var logs = new CapturedLogs();
        await using var env = await EnvironmentHarness.StartAsync(logs: logs, environmentSettings: new Dictionary<string, string?>
        {
            ["Runtara:Environment:MaxActiveInstancesPerTenant"] = QuotaSetting,
            // A refused child start is handed out again after its lease: short, so the test does not wait 30 s.
            ["Runtara:Environment:WakeLease"] = "00:00:01",
            // The parent suspends as soon as it waits for its children, so it holds no slot while they run.
            ["Runtara:Environment:InstanceWaitGracePeriod"] = "00:00:00",
        });
        var tenant = Ids.Tenant();
        using var counters = new TempDirectory("runtara-quota-");
        // Parent and children run as users of their own (docs/security.md) and all write here.
        SharedDirectory.Open(counters.Path);
        var image = await env.Client.RegisterImageFromDirectoryAsync(
            TestImages.SdkTestWorkflowFolder,
            new RegisterImageOptions { TenantId = tenant, Name = "counting-workflow", Entrypoint = TestImages.SdkTestWorkflowEntrypoint });
        var input = $$"""{"steps":1,"stepDelayMs":0,"counterDirectory":"{{counters.Path}}","childImage":"counting-workflow","children":{{Children}},"childStepDelayMs":1000}""";
        var parent = await env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = input });

        // The tenant's runs as the quota counts them (the environment's list), sampled until the parent ends.
        var samples = new List<IReadOnlyList<InstanceSummaryInfo>>();
        await Wait.UntilAsync(
            async () =>
            {
                var runs = (await env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Limit = 100 })).Instances;
                samples.Add(runs);
                return runs.FirstOrDefault(r => r.InstanceId == parent)?.Status;
            },
            status => status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled,
            Deadline,
            "the parent to end");

        var info = await env.Client.GetInstanceAsync(parent, tenant);
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");

        // Parent step 0 (0), child c runs steps 0..c: its sum of i*i. Every child's result is in the parent's.
        var expected = Enumerable.Range(0, Children).Sum(c => Enumerable.Range(0, c + 1).Sum(i => (long)i * i));
        Assert.Equal(expected, info.Output!.Value.GetProperty("sum").GetInt64());

        static bool Active(InstanceSummaryInfo run) => run.Status is InstanceStatus.Pending or InstanceStatus.Running;
        var peak = samples.Max(runs => runs.Count(Active));
        Assert.True(peak <= Quota, $"{peak} runs of the tenant were active at once (quota {Quota})");

        // Two children ran at once: the parent, suspended meanwhile, did not hold a slot.
        Assert.Contains(samples, runs => runs.Count(r => r.InstanceId != parent && Active(r)) == Quota);

        // A child start was refused over the quota and started when its lease ran out; it started only after another child had finished.
        Assert.Contains(logs.Lines, line => line.Contains("MaxActiveInstancesPerTenant", StringComparison.Ordinal) && line.Contains(parent + ".", StringComparison.Ordinal));
        var children = (await env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Limit = 100 })).Instances.Where(r => r.InstanceId != parent).ToList();
        Assert.Equal(Children, children.Count);
        Assert.All(children, child => Assert.Equal(InstanceStatus.Completed, child.Status));
        var lastStarted = children.Max(c => c.StartedAt!.Value);
        var firstFinished = children.Min(c => c.FinishedAt!.Value);
        Assert.True(lastStarted >= firstFinished, $"the last child started at {lastStarted:O}, before the first finished at {firstFinished:O}");
    }
}

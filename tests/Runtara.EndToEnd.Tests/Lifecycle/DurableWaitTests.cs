using System.Text;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Lifecycle;

/// <summary>
/// Durable waits through the whole platform (issue 14): a waiting instance holds no process and
/// outlives its execution timeout, and children started by a workflow run as instances of their own.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DurableWaitTests(PlatformFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task An_order_waiting_for_approval_holds_no_process_outlives_its_execution_timeout_and_completes_when_approved()
    {
        var tenant = Ids.Tenant();
        var image = await _platform.RegisterOrderWorkflowAsync(tenant);

        var start = new StartInstanceOptions
        {
            ImageId = image,
            TenantId = tenant,
            TimeoutSeconds = 20,
            Input = """{"orderId":"order-wait","customerEmail":"wait@example.com","reminderAfter":"00:00:00.100"}""",
        };
        start.Environment["Runtara__Instance__WaitGracePeriod"] = "00:00:01";
        var id = await _platform.Client.StartInstanceAsync(start);

        var waiting = await Wait.UntilAsync(
            () => _platform.Client.GetInstanceAsync(id, tenant),
            info => info.Status == InstanceStatus.Suspended && info.Pid is null,
            Deadline,
            "the order to suspend on its approval");
        Assert.Equal(1, waiting.LaunchCount);
        Assert.Empty(ProcessesOf(id));

        // Three times the execution timeout passes while it waits: suspended time does not count.
        await Task.Delay(TimeSpan.FromSeconds(60));
        var still = await _platform.Client.GetInstanceAsync(id, tenant);
        Assert.True(still.Status == InstanceStatus.Suspended, $"{still.Status}: {still.Error}");
        Assert.Empty(ProcessesOf(id));

        await _platform.Client.SendCustomSignalAsync(id, "approve", Encoding.UTF8.GetBytes("""{"approved":true,"approvedBy":"late-approver"}"""), tenant);
        var info = await _platform.Client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = Deadline }, tenant);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal("late-approver", info.Output!.Value.GetProperty("approvedBy").GetString());
        Assert.True(info.LaunchCount >= 2, $"the approval should have relaunched the order; launches: {info.LaunchCount}");
    }

    [Fact]
    public async Task A_workflow_starts_children_that_run_as_instances_of_their_image_and_collects_their_results()
    {
        const int Children = 5;
        var tenant = Ids.Tenant();
        var counters = Directory.CreateTempSubdirectory("runtara-children-").FullName;
        var image = await _platform.Client.RegisterImageFromDirectoryAsync(
            Paths.SdkTestWorkflowFolder,
            new RegisterImageOptions { TenantId = tenant, Name = "counting-workflow", Entrypoint = "Runtara.Sdk.TestWorkflow.dll" });
        var input = $$"""{"steps":2,"stepDelayMs":0,"counterDirectory":"{{counters}}","childImage":"counting-workflow","children":{{Children}}}""";
        var start = new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = input };
        start.Environment["Runtara__Instance__WaitGracePeriod"] = "00:00:00";
        var id = await _platform.Client.StartInstanceAsync(start);

        var info = await _platform.Client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = Deadline }, tenant);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");

        // Parent steps 0 and 1 (0 + 1), child c runs steps 0..c: sum of i*i.
        var expected = 1 + Enumerable.Range(0, Children).Sum(c => Enumerable.Range(0, c + 1).Sum(i => (long)i * i));
        Assert.Equal(expected, info.Output!.Value.GetProperty("sum").GetInt64());
        var page = await _platform.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Limit = 100 });
        var children = page.Instances.Where(i => i.InstanceId != id).ToList();
        Assert.Equal(Children, children.Count);
        Assert.All(children, child => Assert.Equal((InstanceStatus.Completed, "counting-workflow"), (child.Status, child.ImageName)));
        Assert.All(children, child => Assert.StartsWith(id + ".", child.InstanceId, StringComparison.Ordinal));

        // Every step of every instance ran exactly once (the parent replayed its steps after the children ended).
        AssertEachStepRanOnce(counters, parentSteps: 2, Children);
    }

    [Fact]
    public async Task A_parent_killed_with_sigkill_while_its_children_run_is_relaunched_starts_no_second_child_and_completes()
    {
        const int Children = 3;
        var tenant = Ids.Tenant();
        var counters = Directory.CreateTempSubdirectory("runtara-children-kill-").FullName;
        var image = await _platform.Client.RegisterImageFromDirectoryAsync(
            Paths.SdkTestWorkflowFolder,
            new RegisterImageOptions { TenantId = tenant, Name = "counting-workflow", Entrypoint = "Runtara.Sdk.TestWorkflow.dll" });
        var input = $$"""{"steps":1,"stepDelayMs":0,"counterDirectory":"{{counters}}","childImage":"counting-workflow","children":{{Children}},"childStepDelayMs":1500}""";

        // The parent waits for its children in its process (a long grace period), so there is a process to kill.
        var start = new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = input, MaxRetries = 2 };
        start.Environment["Runtara__Instance__WaitGracePeriod"] = "00:01:00";
        var id = await _platform.Client.StartInstanceAsync(start);
        await Wait.UntilAsync(
            async () => (await _platform.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Limit = 100 })).Instances.Count(i => i.InstanceId != id && i.Status == InstanceStatus.Running),
            running => running > 0, Deadline, "a child to run");
        var parent = await _platform.Client.GetInstanceAsync(id, tenant);
        Assert.NotNull(parent.Pid);
        System.Diagnostics.Process.GetProcessById(parent.Pid!.Value).Kill();

        var info = await _platform.Client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = Deadline }, tenant);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.True(info.LaunchCount >= 2, $"the killed parent should have been relaunched; launches: {info.LaunchCount}");
        var children = (await _platform.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Limit = 100 })).Instances.Where(i => i.InstanceId != id).ToList();
        Assert.Equal(Children, children.Count);
        Assert.All(children, child => Assert.Equal(InstanceStatus.Completed, child.Status));

        // The parent's step and each child's steps ran once each, although the parent ran twice.
        AssertEachStepRanOnce(counters, parentSteps: 1, Children);
    }

    /// <summary>The counting workflow's step counters: the parent's in <paramref name="counters"/>, child c's (steps 0..c) in <c>child-c</c>; one line each.</summary>
    private static void AssertEachStepRanOnce(string counters, int parentSteps, int children)
    {
        static int Runs(string folder, int step) => File.ReadAllLines(Path.Combine(folder, $"work-{step}.count")).Length;

        for (var k = 0; k < parentSteps; k++)
        {
            Assert.Equal(1, Runs(counters, k));
        }

        for (var c = 0; c < children; c++)
        {
            var folder = Path.Combine(counters, $"child-{c}");
            Assert.Equal(c + 1, Directory.GetFiles(folder, "*.count").Length);
            for (var k = 0; k <= c; k++)
            {
                Assert.Equal(1, Runs(folder, k));
            }
        }
    }

    /// <summary>Processes whose environment names the instance (its launch contract's RUNTARA_INSTANCE_ID).</summary>
    private static List<int> ProcessesOf(string instanceId)
    {
        var marker = Encoding.UTF8.GetBytes($"{LaunchVariables.InstanceId}={instanceId}\0");
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllBytes(Path.Combine(directory, "environ")).AsSpan().IndexOf(marker) >= 0)
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read.
            }
        }

        return found;
    }
}

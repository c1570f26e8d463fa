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
        Assert.Empty(CountingWorkflowRuns.ProcessesOf(id));

        // Three times the execution timeout passes while it waits: suspended time does not count.
        await Task.Delay(TimeSpan.FromSeconds(60));
        var still = await _platform.Client.GetInstanceAsync(id, tenant);
        Assert.True(still.Status == InstanceStatus.Suspended, $"{still.Status}: {still.Error}");
        Assert.Empty(CountingWorkflowRuns.ProcessesOf(id));

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
        var counters = SharedDirectory.Create("runtara-children-");
        var image = await _platform.RegisterCountingWorkflowAsync(tenant);
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
        CountingWorkflowRuns.AssertEachStepRanOnce(counters, parentSteps: 2, Children);
    }

    [Fact]
    public async Task A_parent_killed_with_sigkill_while_its_children_run_is_relaunched_starts_no_second_child_and_completes()
    {
        const int Children = 3;
        var tenant = Ids.Tenant();
        var counters = SharedDirectory.Create("runtara-children-kill-");
        var image = await _platform.RegisterCountingWorkflowAsync(tenant);
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
        CountingWorkflowRuns.AssertEachStepRanOnce(counters, parentSteps: 1, Children);
    }
}

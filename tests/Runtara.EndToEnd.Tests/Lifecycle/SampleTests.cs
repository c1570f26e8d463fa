using System.IO.Compression;
using System.Text;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;

namespace Runtara.EndToEnd.Tests.Lifecycle;

/// <summary>
/// The SDK's order-workflow sample (samples/Runtara.Samples.OrderWorkflow) as a registered image:
/// started through the environment, approved with a custom signal, put to a durable sleep that the
/// wake scheduler ends with a relaunch, completed with its output readable.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class SampleTests(PlatformFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task Order_workflow_sample_runs_waits_for_approval_sleeps_durably_and_completes()
    {
        var tenant = Ids.Tenant();
        var zip = Path.Combine(_platform.Root, $"order-workflow-{Guid.NewGuid():N}.zip");
        ZipFile.CreateFromDirectory(Paths.OrderWorkflowFolder, zip);
        var image = await _platform.Client.RegisterImageFromFileAsync(zip, new RegisterImageOptions { TenantId = tenant, Name = "order-workflow", Entrypoint = "Runtara.Samples.OrderWorkflow.dll" });

        var start = new StartInstanceOptions
        {
            ImageId = image,
            TenantId = tenant,
            Input = """{"orderId":"order-e2e","customerEmail":"e2e@example.com","reminderAfter":"00:00:01.500"}""",
        };
        // The SDK waits in-process below 5 s by default; make this 1.5 s reminder a real suspend-and-relaunch.
        start.Environment["Runtara__Instance__InProcessSleepThreshold"] = "00:00:00.500";
        var id = await _platform.Client.StartInstanceAsync(start);
        await Wait.UntilAsync(
            async () => (await _platform.Client.ListCheckpointsAsync(id, tenantId: tenant)).Checkpoints.Count,
            count => count >= 2, Deadline, "the reserve and charge steps to be checkpointed");

        await _platform.Client.SendCustomSignalAsync(id, "approve", Encoding.UTF8.GetBytes("""{"approved":true,"approvedBy":"e2e-approver"}"""), tenant);
        var info = await _platform.Client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = Deadline }, tenant);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal("fulfilled", info.Output!.Value.GetProperty("status").GetString());
        Assert.Equal("e2e-approver", info.Output!.Value.GetProperty("approvedBy").GetString());
        Assert.True(info.Output!.Value.GetProperty("reminderSent").GetBoolean());
        Assert.True(info.LaunchCount >= 2, $"the durable sleep should have ended with a relaunch; launches: {info.LaunchCount}");
    }
}

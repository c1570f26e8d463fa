using System.Text;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Lifecycle;

/// <summary>
/// The SDK's samples as registered images. The order workflow (samples/Runtara.Samples.OrderWorkflow)
/// is started through the environment, approved with a custom signal, put to a durable sleep that the
/// wake scheduler ends with a relaunch, and completed with its output readable. The native AOT sample
/// (samples/Runtara.Samples.NativeAot) is published ahead of time and run as a native executable.
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
        var image = await _platform.RegisterOrderWorkflowAsync(tenant);

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

    [SkippableFact]
    public async Task Native_AOT_sample_runs_as_a_native_executable_whose_entrypoint_the_environment_finds()
    {
        Skip.If(NativeToolchain.SkipReason is not null, NativeToolchain.SkipReason);
        var tenant = Ids.Tenant();
        var published = Path.Combine(_platform.Root, $"native-aot-{Guid.NewGuid():N}");
        using var publishing = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await NativeAotPublish.PublishAsync(Path.Combine("samples", "Runtara.Samples.NativeAot", "Runtara.Samples.NativeAot.csproj"), published, publishing.Token);
        Assert.False(File.Exists(Path.Combine(published, "Runtara.Samples.NativeAot.dll")), "a native AOT publish has no managed entry assembly");

        // The folder as it is, no entrypoint given: its only native executable is the program (libe_sqlite3.so is not).
        var image = await _platform.Client.RegisterImageFromDirectoryAsync(published, new RegisterImageOptions { TenantId = tenant, Name = "quote" });
        Assert.Equal("Runtara.Samples.NativeAot", (await _platform.Client.GetImageAsync(image, tenant)).Entrypoint);
        var id = await _platform.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"sku":"sku-42","quantity":120}""" });
        var info = await _platform.Client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = Deadline }, tenant);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var quote = info.Output!.Value;
        Assert.Equal("sku-42", quote.GetProperty("sku").GetString());
        Assert.Equal(120, quote.GetProperty("quantity").GetInt32());
        Assert.Equal(quote.GetProperty("unitPrice").GetDecimal() * 120, quote.GetProperty("total").GetDecimal());
        var checkpoints = await _platform.Client.ListCheckpointsAsync(id, tenantId: tenant);
        Assert.Equal("step:price", Assert.Single(checkpoints.Checkpoints).CheckpointId);
    }
}

using System.Globalization;
using System.Text.Json;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Lifecycle;

/// <summary>
/// Warm processes with an SDK workflow (issue 20, docs/environment.md "Warm processes"): the counting
/// workflow registered with <c>"warm": 1</c> runs its first start cold, which starts a warm process; the
/// next start is handed that very process (the pid recorded beside its slot is the pid the run reports),
/// whose SDK read its run from the launch FIFO after preparing its connection, and it completes.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class WarmStartTests(PlatformFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task An_SDK_workflow_handed_a_warm_process_reads_its_run_from_the_launch_fifo_and_completes()
    {
        var tenant = Ids.Tenant();
        var image = await _platform.Client.RegisterImageFromDirectoryAsync(Paths.SdkTestWorkflowFolder, new RegisterImageOptions
        {
            TenantId = tenant,
            Name = "counting-warm",
            Entrypoint = "Runtara.Sdk.TestWorkflow.dll",
            Metadata = JsonDocument.Parse("""{"warm":1}""").RootElement,
        });

        var cold = await StartAsync(image, tenant, hold: false);
        await AssertCompletedAsync(cold);

        // The cold start made the image's pool: one warm process, its pid and start time recorded beside its slot.
        var slots = Path.Combine(_platform.EnvironmentData, "runs", ".warm-processes");
        var pidFile = await Wait.UntilAsync(
            () => Task.FromResult(Directory.Exists(slots) ? Directory.GetFiles(slots, "warm-*.pid").FirstOrDefault() : null),
            file => file is not null, Deadline, "the image's warm process to start");
        var warmPid = int.Parse(File.ReadAllText(pidFile!).Split(' ')[0], CultureInfo.InvariantCulture);

        var warm = await StartAsync(image, tenant, hold: true);
        var pid = await CountingWorkflowRuns.ReachedHoldAsync(warm.Counters, warm.Hold, Deadline);
        Assert.Equal(warmPid, pid);
        File.Delete(warm.Hold);

        await AssertCompletedAsync(warm);
    }

    private async Task<(string Id, string Tenant, string Counters, string Hold)> StartAsync(string image, string tenant, bool hold)
    {
        var counters = SharedDirectory.Create("runtara-warm-start-");
        var holdFile = Path.Combine(counters, "hold");
        if (hold)
        {
            await File.WriteAllTextAsync(holdFile, "the run waits here while this file exists");
        }

        var id = await _platform.Client.StartInstanceAsync(new StartInstanceOptions
        {
            ImageId = image,
            TenantId = tenant,
            Input = $$"""{"steps":2,"stepDelayMs":0,"counterDirectory":"{{counters}}","holdFile":"{{holdFile}}","holdAtStep":1}""",
        });
        return (id, tenant, counters, holdFile);
    }

    private async Task AssertCompletedAsync((string Id, string Tenant, string Counters, string Hold) run)
    {
        var info = await _platform.Client.WaitForCompletionAsync(run.Id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = Deadline }, run.Tenant);
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal(2, info.Output!.Value.GetProperty("steps").GetInt32());
        CountingWorkflowRuns.AssertEachStepRanOnce(run.Counters, 2);
    }
}

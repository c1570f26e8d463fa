using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Instances;

/// <summary>
/// Re-run and fork (docs/operations.md) with the SDK's counting workflow as real processes: completed
/// steps replay from the copied checkpoints (their side effects are not repeated), the rest runs.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ForkTests(EnvironmentFixture fixture)
{
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task A_failed_instance_is_re_run_from_the_step_that_failed_as_a_new_instance()
    {
        using var counters = new TempDirectory("runtara-rerun-");
        SharedDirectory.Open(counters.Path);
        var fail = Path.Combine(counters.Path, "fail");
        await File.WriteAllTextAsync(fail, "step 2 fails while this exists");
        var (tenant, image) = await RegisterAsync();
        var failed = await StartAsync(image, tenant, Input(counters.Path, 4, $$""","failWhileFile":"{{fail}}","failAtStep":2"""));
        var first = await _env.WaitForEndAsync(failed);
        Assert.Equal(InstanceStatus.Failed, first.Status);

        var notFailed = await _env.Client.WaitForCompletionAsync(await StartAsync(image, tenant, Input(counters.Path + "/other", 1)), new WaitOptions { Timeout = EnvironmentHarness.Deadline });
        await Assert.ThrowsAsync<InstanceStateException>(() => _env.Client.RerunInstanceAsync(notFailed.InstanceId, new ForkOptions { TenantId = tenant }));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.RerunInstanceAsync(failed, new ForkOptions { TenantId = Ids.Tenant() }));

        File.Delete(fail);
        var rerun = await _env.Client.RerunInstanceAsync(failed, new ForkOptions { TenantId = tenant, NewInstanceId = failed + "-rerun" });
        var again = await _env.Client.RerunInstanceAsync(failed, new ForkOptions { TenantId = tenant, NewInstanceId = failed + "-rerun" });
        var info = await _env.WaitForEndAsync(rerun.InstanceId);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal((failed + "-rerun", 2), (rerun.InstanceId, rerun.CheckpointsCopied));
        Assert.Equal(rerun.InstanceId, again.InstanceId);
        Assert.Equal(0 + 1 + 4 + 9, info.Output!.Value.GetProperty("sum").GetInt64());
        Assert.Equal($"rerun of {failed}", info.Origin);
        // Steps 0 and 1 ran once (replayed in the re-run), step 2 failed once and ran again, step 3 once.
        Assert.Equal([1, 1, 2, 1], Counts(counters.Path, 4));
        Assert.Equal(InstanceStatus.Failed, (await _env.Client.GetInstanceAsync(failed, tenant)).Status);
    }

    [Fact]
    public async Task A_fork_replays_the_checkpoints_up_to_the_one_named_and_runs_the_rest()
    {
        using var counters = new TempDirectory("runtara-fork-");
        SharedDirectory.Open(counters.Path);
        var (tenant, image) = await RegisterAsync();
        var source = await StartAsync(image, tenant, Input(counters.Path, 4));
        Assert.Equal(InstanceStatus.Completed, (await _env.WaitForEndAsync(source)).Status);

        await Assert.ThrowsAsync<ValidationException>(() => _env.Client.ForkInstanceAsync(source, "step:work/9", new ForkOptions { TenantId = tenant }));
        var fork = await _env.Client.ForkInstanceAsync(source, "step:work/1", new ForkOptions { TenantId = tenant });
        var info = await _env.WaitForEndAsync(fork.InstanceId);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal(2, fork.CheckpointsCopied);
        Assert.Equal($"fork of {source} at step:work/1", info.Origin);
        Assert.Equal(0 + 1 + 4 + 9, info.Output!.Value.GetProperty("sum").GetInt64());
        Assert.Equal([1, 1, 2, 2], Counts(counters.Path, 4));
        var checkpoints = await _env.Client.ListCheckpointsAsync(fork.InstanceId, tenantId: tenant);
        Assert.Equal(4, checkpoints.Checkpoints.Count(c => c.CheckpointId.StartsWith("step:work/", StringComparison.Ordinal)));
    }

    private async Task<(string Tenant, string Image)> RegisterAsync()
    {
        var tenant = Ids.Tenant();
        var image = await _env.Client.RegisterImageFromDirectoryAsync(
            TestImages.SdkTestWorkflowFolder, new RegisterImageOptions { TenantId = tenant, Name = "counting-workflow", Entrypoint = TestImages.SdkTestWorkflowEntrypoint });
        return (tenant, image);
    }

    private Task<string> StartAsync(string image, string tenant, string input) =>
        _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = input });

    private static string Input(string counters, int steps, string extra = "")
    {
        SharedDirectory.Open(counters);
        return $$"""{"steps":{{steps}},"stepDelayMs":0,"counterDirectory":"{{counters}}"{{extra}}}""";
    }

    private static int[] Counts(string counters, int steps) =>
        [.. Enumerable.Range(0, steps).Select(i => Path.Combine(counters, $"work-{i}.count")).Select(p => File.Exists(p) ? File.ReadAllLines(p).Length : 0)];
}

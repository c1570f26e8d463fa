using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Environment.Hosting;
using Runtara.Environment.Images;
using Runtara.Environment.Storage;
using Runtara.Environment.Runner;
using Runtara.Environment.Runner.Oci;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Runner;

/// <summary>An OCI environment of its own (its own runtime state directory: the other OCI tests delete every container of theirs).</summary>
public sealed class OciWarmFixture : IAsyncLifetime
{
    public static readonly string StateRoot = OciSupport.StateRoot + "-warm";

    public EnvironmentHarness? Harness { get; private set; }

    public static IReadOnlyList<string> Containers()
    {
        if (!Directory.Exists(StateRoot))
        {
            return [];
        }

        using var list = Process.Start(new ProcessStartInfo("runc", ["--root", StateRoot, "list", "-q"]) { RedirectStandardOutput = true })!;
        var output = list.StandardOutput.ReadToEnd();
        list.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async Task InitializeAsync()
    {
        if (OciSupport.SkipReason is null)
        {
            Harness = await EnvironmentHarness.StartAsync(
                new Dictionary<string, string?>
                {
                    ["Runtara:Environment:Runner"] = "Oci",
                    ["Runtara:Environment:Oci:StateRoot"] = StateRoot,
                },
                coreInstanceSocket: true);
        }
    }

    public async Task DisposeAsync()
    {
        if (Harness is not null)
        {
            await Harness.DisposeAsync();
            foreach (var id in Containers())
            {
                using var delete = Process.Start("runc", ["--root", StateRoot, "delete", "--force", id]);
                await delete.WaitForExitAsync();
            }

            Directory.Delete(StateRoot, recursive: true);
        }
    }
}

/// <summary>
/// Warm containers (docs/environment.md, "Warm containers"): real runc containers created ahead, handed
/// to first launches, refilled, stopped, killed for memory, adopted after a restart, dropped with their image.
/// </summary>
public sealed class OciWarmContainerTests(OciWarmFixture fixture) : IClassFixture<OciWarmFixture>
{
    private EnvironmentHarness Env => fixture.Harness!;

    private string SlotsRoot => Path.Combine(Env.EnvironmentDataDirectory, "runs", ".warm");

    [SkippableFact]
    public async Task A_first_launch_is_handed_a_warm_container_and_runs_with_its_own_variables_and_user()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var (image, root) = await Env.RegisterUniqueTestImageAsync(tenant, """{"warm":1}""");
        // The image's first launch goes cold and makes its pool.
        var first = await Env.StartTestInstanceAsync(image, tenant, mode: null);
        Assert.Equal(InstanceStatus.Completed, (await Env.WaitForEndAsync(first)).Status);
        var slot = await WaitForSlotsAsync(root, 1);

        var id = await Env.StartTestInstanceAsync(image, tenant, "probe", o => o.Environment["CUSTOM_VAR"] = "mine");
        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var variables = info.Output!.Value.GetProperty("variables");
        // The run's variables came through the launch file of the warm container, not its environment.
        Assert.Equal($"{OciBundle.RunPath}/{OciWarmPool.LaunchFileName}", variables.GetProperty(LaunchVariables.LaunchFile).GetString());
        Assert.Equal(id, variables.GetProperty(LaunchVariables.InstanceId).GetString());
        Assert.Equal(tenant, variables.GetProperty(LaunchVariables.TenantId).GetString());
        Assert.Equal("mine", variables.GetProperty("CUSTOM_VAR").GetString());
        // Its own user (the tests run as root: a uid per run), who owns the run directory it was handed.
        var uid = info.Output!.Value.GetProperty("uid").GetInt32();
        Assert.InRange(uid, new EnvironmentOptions().InstanceUidFirst, int.MaxValue);
        Assert.Equal("ok", info.Output!.Value.GetProperty("workspace_write").GetString());
        Assert.False(Directory.Exists(Path.Combine(SlotsRoot, slot)), "the slot was renamed to the run's directory");

        var run = Path.Combine(Env.EnvironmentDataDirectory, "runs", tenant, id);
        Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(run, "workspace", "probe.txt")));
        Assert.Contains($"registered {id}", await File.ReadAllTextAsync(Path.Combine(run, "stdout.log")));
        // The launch file (it holds the token) goes when the container ends; so does the container.
        await Wait.UntilAsync(() => Task.FromResult(File.Exists(Path.Combine(run, OciWarmPool.LaunchFileName))), exists => !exists, EnvironmentHarness.Deadline, "the launch file to be deleted");
        await Wait.UntilAsync(() => Task.FromResult(OciWarmFixture.Containers()), c => !c.Contains(slot), EnvironmentHarness.Deadline, $"container {slot} to be deleted");
    }

    [SkippableFact]
    public async Task Consecutive_runs_get_different_containers_the_pool_refills_and_a_stop_ends_them()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var (image, root) = await Env.RegisterUniqueTestImageAsync(tenant, """{"warm":1}""");
        Assert.Equal(InstanceStatus.Completed, (await Env.WaitForEndAsync(await Env.StartTestInstanceAsync(image, tenant, mode: null))).Status);

        var first = await WaitForSlotsAsync(root, 1);
        var a = await Env.StartTestInstanceAsync(image, tenant, "hang");
        await Env.WaitForStatusAsync(a, InstanceStatus.Running, i => i.Pid is not null);
        var second = await WaitForSlotsAsync(root, 1);
        var b = await Env.StartTestInstanceAsync(image, tenant, "hang");
        await Env.WaitForStatusAsync(b, InstanceStatus.Running, i => i.Pid is not null);
        await WaitForSlotsAsync(root, 1);

        Assert.NotEqual(first, second);
        var containers = OciWarmFixture.Containers();
        Assert.Contains(first, containers);
        Assert.Contains(second, containers);
        Assert.DoesNotContain(OciBundle.ContainerId(a), containers);
        // Never more than the image asked for.
        Assert.Single(Env.Services.GetRequiredService<OciWarmPool>().Ready(root));

        foreach (var id in new[] { a, b })
        {
            await Env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });
            await Wait.UntilAsync(() => Env.Client.GetInstanceAsync(id), i => i.Status == InstanceStatus.Cancelled && i.Pid is null, EnvironmentHarness.Deadline, $"instance {id} to be stopped");
        }

        containers = OciWarmFixture.Containers();
        Assert.DoesNotContain(first, containers);
        Assert.DoesNotContain(second, containers);
    }

    [SkippableFact]
    public async Task A_warm_container_over_its_memory_limit_is_failed_as_out_of_memory()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var (image, root) = await Env.RegisterUniqueTestImageAsync(tenant, """{"warm":1,"memoryLimitMb":64}""");
        Assert.Equal(InstanceStatus.Completed, (await Env.WaitForEndAsync(await Env.StartTestInstanceAsync(image, tenant, mode: null))).Status);
        var slot = await WaitForSlotsAsync(root, 1);

        var id = await Env.StartTestInstanceAsync(image, tenant, "memory_hog");
        var info = await Env.WaitForEndAsync(id);

        Assert.False(Directory.Exists(Path.Combine(SlotsRoot, slot)), "the run was handed the warm container");
        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Contains("out of memory", info.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("64 MiB", info.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_restart_adopts_a_handed_over_container_and_removes_unused_and_leftover_warm_ones()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var (image, root) = await Env.RegisterUniqueTestImageAsync(tenant, """{"warm":1}""");
        Assert.Equal(InstanceStatus.Completed, (await Env.WaitForEndAsync(await Env.StartTestInstanceAsync(image, tenant, mode: null))).Status);
        var handed = await WaitForSlotsAsync(root, 1);
        var id = await Env.StartTestInstanceAsync(image, tenant, "hang");
        var running = await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
        var unused = await WaitForSlotsAsync(root, 1);
        // What an environment killed with -9 leaves: a slot directory (its container, if any, goes with it).
        var leftover = Path.Combine(SlotsRoot, OciWarmPool.IdPrefix + "00000000deadbeef");

        await Env.RestartEnvironmentAsync(() =>
        {
            Directory.CreateDirectory(Path.Combine(leftover, "workspace"));
            return Task.CompletedTask;
        });

        var adopted = await Env.Client.GetInstanceAsync(id);
        Assert.Equal(InstanceStatus.Running, adopted.Status);
        Assert.Equal(running.Pid, adopted.Pid);
        var containers = OciWarmFixture.Containers();
        Assert.Contains(handed, containers);
        Assert.DoesNotContain(unused, containers);
        await Wait.UntilAsync(() => Task.FromResult(Directory.Exists(leftover)), exists => !exists, EnvironmentHarness.Deadline, "the leftover slot to be removed");

        await Env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });
        await Wait.UntilAsync(() => Env.Client.GetInstanceAsync(id), i => i.Status == InstanceStatus.Cancelled && i.Pid is null, EnvironmentHarness.Deadline, $"instance {id} to be stopped");
        Assert.DoesNotContain(handed, OciWarmFixture.Containers());
    }

    [SkippableFact]
    public async Task Deleting_an_image_drops_its_warm_containers()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var (image, root) = await Env.RegisterUniqueTestImageAsync(tenant, """{"warm":1}""");
        Assert.Equal(InstanceStatus.Completed, (await Env.WaitForEndAsync(await Env.StartTestInstanceAsync(image, tenant, mode: null))).Status);
        var slot = await WaitForSlotsAsync(root, 1);

        await Env.Client.DeleteImageAsync(image, tenant);

        Assert.DoesNotContain(slot, OciWarmFixture.Containers());
        Assert.False(Directory.Exists(Path.Combine(SlotsRoot, slot)));
    }

    /// <summary>Waits until the image's pool holds <paramref name="count"/> warm containers; returns the newest.</summary>
    private async Task<string> WaitForSlotsAsync(string imageRoot, int count)
    {
        var pool = Env.Services.GetRequiredService<OciWarmPool>();
        var ready = await Wait.UntilAsync(() => Task.FromResult(pool.Ready(imageRoot)), r => r.Count == count, EnvironmentHarness.Deadline, $"{count} warm container(s)");
        return ready[^1];
    }
}

/// <summary>The pure parts of warm containers: their shape key and the image setting.</summary>
public sealed class OciWarmPoolTests
{
    [Fact]
    public void Runs_of_one_image_share_a_shape_unless_an_image_wide_variable_differs()
    {
        OciPlan Plan(string instance, string custom, string transport) => OciBundle.Plan(
            new LaunchRequest(instance, "/img/app", [], $"/data/runs/t/{instance}",
                new Dictionary<string, string>
                {
                    [LaunchVariables.ServerAddress] = "unix:/core.sock",
                    [LaunchVariables.InstanceId] = instance,
                    [LaunchVariables.InstanceToken] = "token-" + instance,
                    [LaunchVariables.WorkspaceDirectory] = $"/data/runs/t/{instance}/workspace",
                    [LaunchVariables.Transport] = transport,
                    ["CUSTOM"] = custom,
                },
                "/o", "/e", UserId: instance.Length) { ImageRoot = "/img" },
            OciImageSettings.None, new OciOptions(), _ => false);

        var options = new OciOptions();
        var a = OciWarmPool.KeyOf(Plan("a", "x", "tcp"), "/data/runs/t/a", options);
        Assert.Equal(a, OciWarmPool.KeyOf(Plan("bb", "y", "tcp"), "/data/runs/t/bb", options));
        Assert.NotEqual(a, OciWarmPool.KeyOf(Plan("a", "x", "quic"), "/data/runs/t/a", options));
        Assert.DoesNotContain("token-a", a, StringComparison.Ordinal);
        Assert.Contains(LaunchVariables.LaunchFile, a, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_metadata_asks_for_warm_containers_within_bounds()
    {
        Assert.Equal(3, OciImageSettings.Parse("""{"warm":3}""").Warm);
        Assert.Null(OciImageSettings.Parse("""{"runner":"oci"}""").Warm);
        Assert.Throws<FormatException>(() => OciImageSettings.Parse("""{"warm":65}"""));
        Assert.Throws<FormatException>(() => OciImageSettings.Parse("""{"warm":-1}"""));
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Environment.Runner;
using Runtara.Environment.Runner.Warm;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Runner;

/// <summary>An environment of its own: the restart test stops it, and the pools' counters are read before and after launches.</summary>
public sealed class WarmProcessFixture : IAsyncLifetime
{
    public EnvironmentHarness Harness { get; private set; } = null!;

    // The core's instance socket: the way out of a run without network.
    public async Task InitializeAsync() => Harness = await EnvironmentHarness.StartAsync(coreInstanceSocket: true);

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

/// <summary>
/// Warm processes (docs/environment.md, "Warm processes"): real instance processes started ahead, blocked on
/// their launch FIFO, handed to first launches, refilled, contained as cold runs, killed at stop and after a crash.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WarmProcessTests(WarmProcessFixture fixture) : IClassFixture<WarmProcessFixture>
{
    private EnvironmentHarness Env => fixture.Harness;

    private WarmProcesses Pool => Env.Services.GetRequiredService<WarmProcesses>();

    private string SlotsRoot => Path.Combine(Env.EnvironmentDataDirectory, "runs", ".warm-processes");

    [Fact]
    public async Task A_first_launch_is_handed_a_warm_process_and_runs_with_its_own_variables()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        var slot = await WaitForSlotsAsync(root, 1);
        var handOvers = Pool.HandOvers;

        var id = await Env.StartTestInstanceAsync(image, tenant, "probe", o => o.Environment["CUSTOM_VAR"] = "mine");
        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal(handOvers + 1, Pool.HandOvers);
        var run = Path.Combine(Env.EnvironmentDataDirectory, "runs", tenant, id);
        var variables = info.Output!.Value.GetProperty("variables");
        // The run's variables came through the FIFO the process was started with, the run's paths too.
        Assert.Equal(Path.Combine(SlotsRoot, slot + ".launch"), variables.GetProperty(LaunchVariables.LaunchFile).GetString());
        Assert.Equal(id, variables.GetProperty(LaunchVariables.InstanceId).GetString());
        Assert.Equal(tenant, variables.GetProperty(LaunchVariables.TenantId).GetString());
        Assert.Equal("mine", variables.GetProperty("CUSTOM_VAR").GetString());
        Assert.Equal(Path.Combine(run, "input.json"), variables.GetProperty(LaunchVariables.InputPath).GetString());
        Assert.Equal(Path.Combine(run, "tmp"), variables.GetProperty("TMPDIR").GetString());
        Assert.Equal("ok", info.Output!.Value.GetProperty("workspace_write").GetString());
        Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(run, "workspace", "probe.txt")));
        Assert.Contains($"registered {id} mode=probe", await File.ReadAllTextAsync(Path.Combine(run, "stdout.log")));
        // The slot became the run's directory; its FIFO and pid file are gone.
        Assert.False(Directory.Exists(Path.Combine(SlotsRoot, slot)));
        Assert.False(File.Exists(Path.Combine(SlotsRoot, slot + ".launch")));
        Assert.False(File.Exists(Path.Combine(SlotsRoot, slot + ".pid")));
    }

    [Fact]
    public async Task Consecutive_starts_are_handed_the_refilled_processes_and_the_pool_keeps_its_size()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        List<string> ids = [];
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var slot = await WaitForSlotsAsync(root, 1);
            var (pid, _) = Recorded(slot);
            var id = await Env.StartTestInstanceAsync(image, tenant, "hang");
            var running = await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
            Assert.Equal(pid, running.Pid);
            ids.Add(id);
        }

        await WaitForSlotsAsync(root, 1);
        Assert.Single(Pool.Ready(root));
        foreach (var id in ids)
        {
            await StopAsync(id);
        }
    }

    [SkippableFact]
    public async Task A_handed_process_runs_as_the_runs_user_in_the_runs_cgroup()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && NativeMethods.GetEffectiveUserId() == 0, "needs root: users per run and cgroups need a root environment (run the tests as root to cover it)");
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        // The first run made the runner's cgroup folder, when it puts runs in cgroups here.
        var cgroupRoot = Cgroups.Unified ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids";
        Skip.IfNot(Directory.Exists(cgroupRoot + Env.RunCgroupDirectory), "the process runner puts no run in a cgroup here (no cgroup hierarchy with the memory and pids controllers)");
        var slot = await WaitForSlotsAsync(root, 1);
        var (pid, _) = Recorded(slot);
        var warmUid = ProcFs.RealUserId(pid);
        Assert.True(File.ReadAllText($"/proc/{pid}/cgroup").Contains($"{Env.RunCgroupDirectory}/{slot}", StringComparison.Ordinal), "a warm process waits in a cgroup of its slot");

        var id = await Env.StartTestInstanceAsync(image, tenant, "hang");
        var running = await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);

        Assert.Equal(pid, running.Pid);
        var run = Path.Combine(Env.EnvironmentDataDirectory, "runs", tenant, id);
        // Its slot's uid is now the run's: it owns the run's directory and files, the logs stay the environment's.
        Assert.NotNull(warmUid);
        Assert.NotEqual(0, warmUid);
        Assert.Equal((uint)warmUid!.Value, UnixFiles.Stat(run)!.Value.Uid);
        Assert.Equal((uint)warmUid.Value, UnixFiles.Stat(Path.Combine(run, "input.json"))!.Value.Uid);
        Assert.Equal(0u, UnixFiles.Stat(Path.Combine(run, "stdout.log"))!.Value.Uid);
        // Its slot's cgroup was renamed to the run's.
        var cgroups = await File.ReadAllTextAsync($"/proc/{pid}/cgroup");
        Assert.Contains($"{Env.RunCgroupDirectory}/runtara-{id}", cgroups, StringComparison.Ordinal);
        Assert.False(Directory.Exists($"{cgroupRoot}{Env.RunCgroupDirectory}/{slot}"));

        await StopAsync(id);
        Assert.False(Directory.Exists($"{cgroupRoot}{Env.RunCgroupDirectory}/runtara-{id}"), "the run's cgroup ends with it");
    }

    [SkippableFact]
    public async Task A_warm_process_of_an_image_without_network_waits_and_runs_in_a_network_namespace_of_its_own()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && NativeMethods.GetEffectiveUserId() == 0, "needs root: a network namespace of its own needs a root environment");
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant, """{"warm":1,"network":"none"}""");
        var (pid, _) = Recorded(await WaitForSlotsAsync(root, 1));
        var hostNetwork = new FileInfo("/proc/self/ns/net").LinkTarget;
        Assert.NotEqual(hostNetwork, new FileInfo($"/proc/{pid}/ns/net").LinkTarget);
        var handOvers = Pool.HandOvers;

        var id = await Env.StartTestInstanceAsync(image, tenant, "hang");
        var running = await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);

        Assert.Equal(pid, running.Pid);
        Assert.Equal(handOvers + 1, Pool.HandOvers);
        await StopAsync(id);
    }

    [Fact]
    public async Task A_launch_of_another_shape_is_cold_and_remakes_the_pool()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        var old = await WaitForSlotsAsync(root, 1);
        var (pid, ticks) = Recorded(old);
        var handOvers = Pool.HandOvers;

        // A custom variable that sets an image-wide name: the warm process was started without it.
        var id = await Env.StartTestInstanceAsync(image, tenant, "env", o => o.Environment["DOTNET_TieredPGO"] = "0");
        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal(handOvers, Pool.HandOvers);
        var remade = await WaitForSlotsAsync(root, 1);
        Assert.NotEqual(old, remade);
        await Wait.UntilAsync(() => Task.FromResult(Directory.Exists(Path.Combine(SlotsRoot, old))), exists => !exists, EnvironmentHarness.Deadline, "the old shape's slot to be removed");
        Assert.NotEqual(ticks, ProcFs.LiveStartTicks(pid));
    }

    [Fact]
    public async Task A_wake_launch_is_cold()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        await WaitForSlotsAsync(root, 1);
        var handOvers = Pool.HandOvers;

        var id = await Env.StartTestInstanceAsync(image, tenant, "sleep", o => o.Input = """{"mode":"sleep","sleep_ms":300}""");
        await WaitForSlotsAsync(root, 1);
        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.True(info.Output!.Value.GetProperty("woke").GetBoolean());
        // The first launch was warm; the wake (a second launch of the run) was not, though a warm process was ready.
        Assert.Equal(handOvers + 1, Pool.HandOvers);
    }

    [Fact]
    public async Task A_warm_process_waiting_longer_than_the_run_retention_is_no_run_for_the_cleanup_worker()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        var slot = await WaitForSlotsAsync(root, 1);
        Directory.SetLastWriteTimeUtc(Path.Combine(SlotsRoot, slot), DateTime.UtcNow.AddDays(-2));

        await Env.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Runtara.Environment.Workers.CleanupWorker>().Single().RunOnceAsync(CancellationToken.None);

        Assert.True(Directory.Exists(Path.Combine(SlotsRoot, slot)));
        var handOvers = Pool.HandOvers;
        var info = await Env.WaitForEndAsync(await Env.StartTestInstanceAsync(image, tenant, mode: null));
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal(handOvers + 1, Pool.HandOvers);
    }

    [Fact]
    public async Task A_warm_process_that_died_is_discarded_and_the_launch_still_succeeds()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        var slot = await WaitForSlotsAsync(root, 1);
        var (pid, _) = Recorded(slot);
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        var handOvers = Pool.HandOvers;
        var id = await Env.StartTestInstanceAsync(image, tenant, mode: null);
        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal(handOvers, Pool.HandOvers);
        await Wait.UntilAsync(() => Task.FromResult(Directory.Exists(Path.Combine(SlotsRoot, slot))), exists => !exists, EnvironmentHarness.Deadline, "the dead slot to be removed");
    }

    [Fact]
    public async Task Deleting_an_image_ends_its_warm_processes()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        var slot = await WaitForSlotsAsync(root, 1);
        var (pid, ticks) = Recorded(slot);

        await Env.Client.DeleteImageAsync(image, tenant);

        Assert.NotEqual(ticks, ProcFs.LiveStartTicks(pid));
        Assert.False(Directory.Exists(Path.Combine(SlotsRoot, slot)));
        Assert.False(File.Exists(Path.Combine(SlotsRoot, slot + ".launch")));
    }

    [Fact]
    public async Task A_restart_adopts_a_handed_over_process_ends_unused_ones_and_what_a_killed_environment_left()
    {
        var tenant = Ids.Tenant();
        var (image, root) = await ColdFirstAsync(tenant);
        var handed = Recorded(await WaitForSlotsAsync(root, 1));
        var id = await Env.StartTestInstanceAsync(image, tenant, "hang");
        var running = await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
        Assert.Equal(handed.Pid, running.Pid);
        var unused = await WaitForSlotsAsync(root, 1);
        var (pid, ticks) = Recorded(unused);
        // What an environment killed with -9 leaves: a process blocked on its FIFO, its slot, FIFO and pid file.
        var leftover = Path.Combine(SlotsRoot, WarmProcesses.IdPrefix + "00000000deadbeef");
        Process? orphan = null;

        try
        {
            await Env.RestartEnvironmentAsync(() =>
            {
                // The stop ended the unused one, not the run's.
                Assert.NotEqual(ticks, ProcFs.LiveStartTicks(pid));
                Assert.False(Directory.Exists(Path.Combine(SlotsRoot, unused)));
                Assert.NotNull(ProcFs.LiveStartTicks(running.Pid!.Value));
                orphan = Process.Start("sleep", "300");
                Directory.CreateDirectory(Path.Combine(leftover, "workspace"));
                Assert.Equal(0, NativeMethods.MkFifo(leftover + ".launch", 0b110_000_000));
                File.WriteAllText(leftover + ".pid", string.Create(CultureInfo.InvariantCulture, $"{orphan.Id} {ProcFs.LiveStartTicks(orphan.Id)}"));
                return Task.CompletedTask;
            });

            await orphan!.WaitForExitAsync(new CancellationTokenSource(EnvironmentHarness.Deadline).Token);
            Assert.False(Directory.Exists(leftover));
            Assert.False(File.Exists(leftover + ".launch"));
            Assert.False(File.Exists(leftover + ".pid"));
            // The handed-over process is an ordinary run: adopted by its pid, stopped as any other.
            var adopted = await Env.Client.GetInstanceAsync(id);
            Assert.Equal(InstanceStatus.Running, adopted.Status);
            Assert.Equal(running.Pid, adopted.Pid);
            await StopAsync(id);
        }
        finally
        {
            if (orphan is { HasExited: false })
            {
                orphan.Kill();
            }

            orphan?.Dispose();
        }
    }

    /// <summary>Registers an image with one warm process (or <paramref name="metadata"/>) and runs its first (cold) launch, which makes its pool.</summary>
    private async Task<(string Image, string Root)> ColdFirstAsync(string tenant, string metadata = """{"warm":1}""")
    {
        var (image, root) = await Env.RegisterUniqueTestImageAsync(tenant, metadata);
        var handOvers = Pool.HandOvers;
        var first = await Env.WaitForEndAsync(await Env.StartTestInstanceAsync(image, tenant, mode: null));
        Assert.True(first.Status == InstanceStatus.Completed, $"{first.Status}: {first.Error}\n{first.Stderr}");
        Assert.Equal(handOvers, Pool.HandOvers);
        return (image, root);
    }

    /// <summary>Waits until the image's pool holds <paramref name="count"/> warm processes; returns the newest.</summary>
    private async Task<string> WaitForSlotsAsync(string imageRoot, int count)
    {
        var ready = await Wait.UntilAsync(() => Task.FromResult(Pool.Ready(imageRoot)), r => r.Count == count, EnvironmentHarness.Deadline, $"{count} warm process(es)");
        return ready[^1];
    }

    /// <summary>Stops a running instance and waits until it is cancelled and its process settled.</summary>
    private async Task StopAsync(string id)
    {
        await Env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });
        await Wait.UntilAsync(() => Env.Client.GetInstanceAsync(id), i => i.Status == InstanceStatus.Cancelled && i.Pid is null, EnvironmentHarness.Deadline, $"instance {id} to be stopped");
    }

    /// <summary>The pid and start ticks a slot's pid file records.</summary>
    private (int Pid, long StartTicks) Recorded(string slot)
    {
        var parts = File.ReadAllText(Path.Combine(SlotsRoot, slot + ".pid")).Split(' ');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}

/// <summary>The pure part of warm processes: their shape key.</summary>
public sealed class WarmProcessKeyTests
{
    [Fact]
    public void Runs_differing_only_in_their_own_variables_and_directory_share_a_key()
    {
        static LaunchRequest Request(string instance, string custom, string dotnet, int? uid) =>
            new(instance, "/img/app", [], $"/data/runs/t/{instance}",
                new Dictionary<string, string>
                {
                    [LaunchVariables.ServerAddress] = "unix:/core.sock",
                    [LaunchVariables.InstanceId] = instance,
                    [LaunchVariables.InstanceToken] = "token-" + instance,
                    [LaunchVariables.WorkspaceDirectory] = $"/data/runs/t/{instance}/workspace",
                    ["TMPDIR"] = $"/data/runs/t/{instance}/tmp",
                    ["DOTNET_gcServer"] = dotnet,
                    ["CUSTOM"] = custom,
                },
                "/o", "/e", uid);

        var shape = new ProcessRunner.ProcessShape(Isolate: false, Cgroup: true, 512L << 20, 1024, null);
        var a = WarmProcesses.KeyOf(Request("a", "x", "0", 1), shape);

        Assert.Equal(a, WarmProcesses.KeyOf(Request("bb", "y", "0", 2), shape));
        Assert.NotEqual(a, WarmProcesses.KeyOf(Request("a", "x", "1", 1), shape));
        Assert.NotEqual(a, WarmProcesses.KeyOf(Request("a", "x", "0", null), shape));
        Assert.NotEqual(a, WarmProcesses.KeyOf(Request("a", "x", "0", 1), shape with { Isolate = true }));
        Assert.NotEqual(a, WarmProcesses.KeyOf(Request("a", "x", "0", 1), shape with { MemoryBytes = 256L << 20 }));
        Assert.DoesNotContain("token-a", a, StringComparison.Ordinal);
    }
}

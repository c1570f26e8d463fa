using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Runtara.Environment.Runner;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Environment.Tests.Runner;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using Runtara.Testing;

namespace Runtara.Environment.Tests.Security;

/// <summary>
/// One environment for the hostile-instance suite: the process runner by default, images choosing the OCI
/// runner by metadata, instances reaching the core through its instance socket (the only way out of a run
/// without network). Needs root (users per run, cgroups, network namespaces, runc); otherwise not started.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostileFixture : IAsyncLifetime
{
    /// <summary>The runtime's state for this fixture's containers (short: runc keeps sockets there), apart from OciFixture's.</summary>
    public static readonly string StateRoot = Path.Combine(Path.GetTempPath(), $"runtara-oci-h-{System.Environment.ProcessId}");

    public EnvironmentHarness? Harness { get; private set; }

    public async Task InitializeAsync()
    {
        if (HostileInstanceTests.IsRoot)
        {
            Harness = await EnvironmentHarness.StartAsync(
                new Dictionary<string, string?> { ["Runtara:Environment:Oci:StateRoot"] = StateRoot },
                coreInstanceSocket: true);
        }
    }

    public async Task DisposeAsync()
    {
        if (Harness is not null)
        {
            await Harness.DisposeAsync();
            if (OciSupport.SkipReason is null)
            {
                foreach (var id in OciSupport.Containers(StateRoot))
                {
                    using var delete = Process.Start("runc", ["--root", StateRoot, "delete", "--force", id]);
                    await delete.WaitForExitAsync();
                }
            }

            if (Directory.Exists(StateRoot))
            {
                Directory.Delete(StateRoot, recursive: true);
            }
        }
    }
}

/// <summary>
/// The hostile-instance suite (issue 15): an instance written to misbehave, run under each runner. Every
/// attempt is shown contained (refused, limited or killed), and afterwards a neighbour (another tenant's
/// instance, started before the attempt) still completes and the environment still answers.
/// The process runner's image asks for no network and the same limits as the container's (its metadata).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostileInstanceTests(HostileFixture fixture) : IClassFixture<HostileFixture>
{
    public static readonly bool IsRoot = OperatingSystem.IsLinux() && NativeMethods.GetEffectiveUserId() == 0;

    private const string NeedsRoot = "needs root: users per run, cgroups and network namespaces (and runc) need a root environment (run the tests as root to cover it)";
    private const int MemoryLimitMb = 256;
    private const int PidsLimit = 64;

    private EnvironmentHarness Env => fixture.Harness!;

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("oci")]
    public async Task Reading_secrets_and_other_runs_is_denied(string runner)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();
        var data = Env.EnvironmentDataDirectory;
        var core = Path.Combine(Env.Root, "core");
        var other = await FinishedRunOfAnotherTenantAsync();
        var secret = (await File.ReadAllTextAsync(TestCredentials.ApiKeyFile(data))).Trim();

        var info = await RunHostileAsync(runner, new
        {
            mode = "probe",
            read = new[]
            {
                TestCredentials.ApiKeyFile(data), Path.Combine(core, "security", "runtara.keys"), Path.Combine(data, "environment.db"), Path.Combine(core, "core.db"),
                Path.Combine(other, "input.json"), Path.Combine(other, "output.json"), Path.Combine(other, "stdout.log"),
            },
            list = new[] { data, Path.Combine(data, "security"), Path.Combine(data, "runs"), Path.GetDirectoryName(other)!, other, Path.Combine(other, "workspace") },
        });

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var result = info.Output!.Value;
        foreach (var section in new[] { "read", "list" })
        {
            Assert.Equal(section == "read" ? 7 : 6, result.GetProperty(section).EnumerateObject().Count());
            foreach (var attempt in result.GetProperty(section).EnumerateObject())
            {
                // The process runner's user of its own is denied; a container does not even see the host's paths.
                Assert.True(attempt.Value.GetString() == (runner == "process" ? "denied" : "missing"), $"{section} {attempt.Name}: {attempt.Value}");
            }
        }

        Assert.DoesNotContain(secret, info.Output!.Value.GetRawText(), StringComparison.Ordinal);
        await AssertUnaffectedAsync(neighbour);
    }

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("oci")]
    public async Task Writing_outside_its_run_directory_is_refused_and_its_tmp_files_stay_its_own(string runner)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();
        var data = Env.EnvironmentDataDirectory;
        var other = await FinishedRunOfAnotherTenantAsync();
        var imageFolder = Path.GetDirectoryName(Directory.EnumerateFiles(Path.Combine(data, "images"), TestImages.TestInstanceEntrypoint, SearchOption.AllDirectories).First())!;
        var outside = new[]
        {
            "/etc/runtara-hostile", "/usr/lib/runtara-hostile", Path.Combine(imageFolder, "planted.dll"), Path.Combine(data, "planted"),
            Path.Combine(other, "output.json"), Path.Combine(other, "workspace", "planted.txt"),
        };
        var shared = $"/tmp/runtara-hostile-{Guid.NewGuid():N}";

        var info = await RunHostileAsync(runner, new { mode = "probe", write = outside.Append(shared) });

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var writes = info.Output!.Value.GetProperty("write");
        foreach (var path in outside)
        {
            Assert.NotEqual("ok", writes.GetProperty(path).GetString());
            Assert.False(File.Exists(path) && path != Path.Combine(other, "output.json"), $"{path} was written");
        }

        Assert.DoesNotContain("written by an instance", await File.ReadAllTextAsync(Path.Combine(other, "output.json")), StringComparison.Ordinal);
        // /tmp: a container's is a tmpfs of its own; the host's is shared by every process, so a run's files
        // there are created 0600 (umask 077) as its own user, and another run cannot read them.
        Assert.Equal("ok", writes.GetProperty(shared).GetString());
        if (runner == "oci")
        {
            Assert.False(File.Exists(shared));
        }
        else
        {
            try
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(shared));
                Assert.InRange(UnixFiles.Stat(shared)!.Value.Uid, 200_000u, uint.MaxValue);
                var reader = await RunHostileAsync(runner, new { mode = "probe", read = new[] { shared } }, Ids.Tenant());
                Assert.Equal("denied", reader.Output!.Value.GetProperty("read").GetProperty(shared).GetString());
            }
            finally
            {
                File.Delete(shared);
            }
        }

        await AssertUnaffectedAsync(neighbour);
    }

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("oci")]
    public async Task Another_tenants_instance_is_refused_to_its_own_token(string runner)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();

        var info = await RunHostileAsync(runner, new { mode = "tenant", victim = neighbour.Id, victim_tenant = neighbour.TenantId });

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var calls = info.Output!.Value.GetProperty("calls");
        Assert.Equal(5, calls.EnumerateObject().Count());
        foreach (var call in calls.EnumerateObject())
        {
            Assert.StartsWith("PERMISSION_DENIED", call.Value.GetString(), StringComparison.Ordinal);
            Assert.Contains(neighbour.Id, call.Value.GetString(), StringComparison.Ordinal);
        }

        var checkpoints = await Env.Client.ListCheckpointsAsync(neighbour.Id, tenantId: neighbour.TenantId);
        Assert.DoesNotContain(checkpoints.Checkpoints, c => c.CheckpointId.StartsWith("planted", StringComparison.Ordinal));
        await AssertUnaffectedAsync(neighbour);
    }

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("oci")]
    public async Task A_fork_and_thread_bomb_is_stopped_by_the_pids_limit_and_its_processes_end_with_it(string runner)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();
        var marker = $"bomb-{Guid.NewGuid():N}";

        var info = await RunHostileAsync(runner, new { mode = "bomb", marker });

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var result = info.Output!.Value;
        Assert.InRange(result.GetProperty("threads").GetInt32(), 0, PidsLimit - 1);
        Assert.NotEqual(JsonValueKind.Null, result.GetProperty("stopped_by").ValueKind);
        // The copies it forked (none deaf to SIGKILL) ended with the run.
        Assert.True(result.GetProperty("processes").GetInt32() > 0, result.GetRawText());
        await WaitGoneAsync(marker);
        await AssertUnaffectedAsync(neighbour);
    }

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("oci")]
    public async Task Allocating_4_GiB_fails_the_instance_as_out_of_memory(string runner)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();

        var info = await RunHostileAsync(runner, new { mode = "memory_hog", mb = 4096 });

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Contains("out of memory", info.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"{MemoryLimitMb} MiB", info.Error, StringComparison.Ordinal);
        // Peak resident memory (VmHWM, which also counts mapped runtime files) stays near the limit, nowhere near 4 GiB.
        Assert.InRange(info.MemoryPeakBytes ?? 0, 0, 2L * MemoryLimitMb * 1024 * 1024);
        await AssertUnaffectedAsync(neighbour);
    }

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("oci")]
    public async Task Busy_threads_are_held_to_the_cpu_limit(string runner)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();
        var tenant = Ids.Tenant();
        var image = await RegisterHostileImageAsync(tenant, runner, cpuLimit: 0.5);
        var id = await Env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"mode":"spin","ms":2000,"threads":2}""" });

        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var result = info.Output!.Value;
        // Two busy threads could take two cores; the CFS quota gives them half of one.
        Assert.InRange(result.GetProperty("cpu_s").GetDouble() / result.GetProperty("wall_s").GetDouble(), 0.1, 0.6);
        await AssertUnaffectedAsync(neighbour);
    }

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("oci")]
    public async Task Outbound_connections_are_refused_yet_the_core_is_reached_through_its_socket(string runner)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();
        string[] targets = [$"127.0.0.1:{Env.CoreEndpoints.InstancePort}", $"127.0.0.1:{Env.Port}", "1.1.1.1:443"];

        var info = await RunHostileAsync(runner, new { mode = "sandbox", connect = targets });

        // It completed: it registered and reported through the core's Unix socket.
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var result = info.Output!.Value;
        Assert.StartsWith("unix:", result.GetProperty("server_addr").GetString(), StringComparison.Ordinal);
        Assert.Equal(["lo"], result.GetProperty("interfaces").EnumerateArray().Select(i => i.GetString()));
        foreach (var target in targets)
        {
            Assert.NotEqual("ok", result.GetProperty("connects").GetProperty(target).GetString());
        }

        await AssertUnaffectedAsync(neighbour);
    }

    [SkippableTheory]
    [InlineData("process", "stop")]
    [InlineData("process", "exit")]
    [InlineData("oci", "stop")]
    [InlineData("oci", "exit")]
    public async Task A_detached_child_deaf_to_SIGTERM_does_not_outlive_its_run(string runner, string end)
    {
        Require(runner);
        var neighbour = await StartNeighbourAsync();
        var marker = $"outlive-{Guid.NewGuid():N}";
        var tenant = Ids.Tenant();
        var image = await RegisterHostileImageAsync(tenant, runner);
        var id = await Env.Client.StartInstanceAsync(new StartInstanceOptions
        {
            ImageId = image,
            TenantId = tenant,
            Input = JsonSerializer.Serialize(new { mode = "outlive", marker, then = end == "exit" ? "complete" : "hang" }),
        });

        if (end == "stop")
        {
            await Wait.UntilAsync(() => Task.FromResult(Lingering(marker)), l => l.Count > 0, EnvironmentHarness.Deadline, $"the child of {id} to start");
            // The instance ignores SIGTERM too: the stop comes to SIGKILL.
            await Env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });
            var stopped = await Env.Client.GetInstanceAsync(id);
            Assert.Equal(InstanceStatus.Cancelled, stopped.Status);
        }
        else
        {
            var info = await Env.WaitForEndAsync(id);
            Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
            Assert.Contains("lingering " + marker, await ReadLogAsync(id), StringComparison.Ordinal);
        }

        await WaitGoneAsync(marker);
        await AssertUnaffectedAsync(neighbour);
    }

    /// <summary>The hostile run: its own tenant and image, limited by its metadata (the process runner's without network).</summary>
    private async Task<InstanceInfo> RunHostileAsync(string runner, object input, string? tenant = null)
    {
        tenant ??= Ids.Tenant();
        var image = await RegisterHostileImageAsync(tenant, runner);
        var id = await Env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = JsonSerializer.Serialize(input) });
        return await Env.WaitForEndAsync(id);
    }

    private Task<string> RegisterHostileImageAsync(string tenant, string runner, double? cpuLimit = null)
    {
        var metadata = new Dictionary<string, object> { ["runner"] = runner, ["memoryLimitMb"] = MemoryLimitMb, ["pidsLimit"] = PidsLimit };
        if (runner == "process")
        {
            // A container has no network by default; the process runner's default is the host's.
            metadata["network"] = "none";
        }

        if (cpuLimit is { } cores)
        {
            metadata["cpuLimit"] = cores;
        }

        return Env.RegisterTestImageAsync(tenant, "hostile", JsonSerializer.SerializeToElement(metadata));
    }

    /// <summary>Another tenant's instance, waiting for a custom signal while the attempt runs.</summary>
    private async Task<TestRun> StartNeighbourAsync()
    {
        var neighbour = await Env.StartTestInstanceAsync("custom_signal");
        await Env.WaitForStatusAsync(neighbour.Id, InstanceStatus.Running, i => i.Pid is not null);
        return neighbour;
    }

    /// <summary>The environment answers, and the neighbour gets its signal and completes with it.</summary>
    private async Task AssertUnaffectedAsync(TestRun neighbour)
    {
        Assert.NotNull(await Env.Client.HealthAsync());
        var listed = await Env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = neighbour.TenantId });
        Assert.Equal(InstanceStatus.Running, Assert.Single(listed.Instances).Status);
        await Env.Client.SendCustomSignalAsync(neighbour.Id, "wait-input", "go on"u8.ToArray(), neighbour.TenantId);
        var info = await Env.WaitForEndAsync(neighbour.Id);
        Assert.True(info.Status == InstanceStatus.Completed, $"neighbour {info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal("go on", info.Output!.Value.GetProperty("received").GetString());
    }

    private async Task<string> FinishedRunOfAnotherTenantAsync()
    {
        var run = await Env.StartTestInstanceAsync("complete", o => o.Input = """{"secret":"of another tenant"}""");
        var info = await Env.WaitForEndAsync(run.Id);
        Assert.Equal(InstanceStatus.Completed, info.Status);
        return Path.Combine(Env.EnvironmentDataDirectory, "runs", run.TenantId, run.Id);
    }

    private async Task<string> ReadLogAsync(string id)
    {
        using var log = new MemoryStream();
        await Env.Client.GetLogsAsync(id, log);
        return Encoding.UTF8.GetString(log.ToArray());
    }

    /// <summary>Live host processes started as <c>--linger &lt;marker&gt;</c> (a zombie has no command line).</summary>
    private static List<int> Lingering(string marker)
    {
        var needle = $"--linger\0{marker}";
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var pid))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(entry, "cmdline")).Contains(needle, StringComparison.Ordinal))
                    {
                        found.Add(pid);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Gone while listed.
                }
            }
        }

        return found;
    }

    /// <summary>Every process of the marker is gone; the SIGKILLs were sent before the run settled, so this takes moments at most.</summary>
    private static Task WaitGoneAsync(string marker) =>
        Wait.UntilAsync(() => Task.FromResult(Lingering(marker)), l => l.Count == 0, TimeSpan.FromSeconds(5), $"the processes of {marker} to be gone");

    private static void Require(string runner)
    {
        Skip.IfNot(IsRoot, NeedsRoot);
        if (runner == "oci")
        {
            Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        }
    }
}

/// <summary>The process runner without network, in an environment whose core has no instance socket: the run could not reach the core.</summary>
[Collection(EnvironmentCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProcessNetworkTests(EnvironmentFixture fixture)
{
    [Fact]
    public async Task An_image_without_network_under_the_process_runner_fails_to_launch_with_the_reason()
    {
        var env = fixture.Harness;
        var tenant = Ids.Tenant();
        var image = await env.RegisterTestImageAsync(tenant, metadata: JsonDocument.Parse("""{"runner":"process","network":"none"}""").RootElement);

        var error = await Assert.ThrowsAsync<Management.LaunchFailedException>(() => env.StartTestInstanceAsync(image, tenant, mode: null));

        Assert.Contains("runs without network", error.Message, StringComparison.Ordinal);
        // As root the missing piece is the core's socket; otherwise root itself.
        Assert.Contains(HostileInstanceTests.IsRoot ? "CoreInstanceSocket" : "root", error.Message, StringComparison.Ordinal);
    }
}

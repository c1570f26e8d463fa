using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Environment.Hosting;
using Runtara.Environment.Runner;
using Runtara.Environment.Runner.Oci;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Runner;

/// <summary>Whether real containers can run here: Linux, root, and runc (or crun) able to run a probe container.</summary>
public static class OciSupport
{
    private static readonly Lazy<string?> Reason = new(Probe);

    /// <summary>Why the OCI tests are skipped; null when they run.</summary>
    public static string? SkipReason => Reason.Value;

    /// <summary>The state directory the OCI tests' environments give the runtime (short: runc keeps sockets there).</summary>
    public static readonly string StateRoot = Path.Combine(Path.GetTempPath(), $"runtara-oci-{System.Environment.ProcessId}");

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "OCI runner tests need Linux";
        }

        if (System.Environment.UserName != "root")
        {
            return "OCI runner tests need root (runc runs containers as root here)";
        }

        var runtime = OciRuntime.Probe(new OciOptions { StateRoot = StateRoot }, NullLogger.Instance);
        return runtime.Path is null ? $"no OCI runtime can run containers here (apt-get install -y runc): {runtime.Problem}" : null;
    }

    /// <summary>Container ids the runtime still holds in the tests' state directory (or <paramref name="stateRoot"/>).</summary>
    public static IReadOnlyList<string> Containers(string? stateRoot = null)
    {
        var list = Process.Start(new ProcessStartInfo("runc", ["--root", stateRoot ?? StateRoot, "list", "-q"]) { RedirectStandardOutput = true })!;
        var output = list.StandardOutput.ReadToEnd();
        list.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}

/// <summary>An environment whose default runner is OCI, its instances reaching the core through the core's instance socket.</summary>
public sealed class OciFixture : IAsyncLifetime
{
    public EnvironmentHarness? Harness { get; private set; }

    public async Task InitializeAsync()
    {
        if (OciSupport.SkipReason is null)
        {
            Harness = await EnvironmentHarness.StartAsync(
                new Dictionary<string, string?>
                {
                    ["Runtara:Environment:Runner"] = "Oci",
                    ["Runtara:Environment:Oci:StateRoot"] = OciSupport.StateRoot,
                },
                coreInstanceSocket: true);
        }
    }

    public async Task DisposeAsync()
    {
        if (Harness is not null)
        {
            await Harness.DisposeAsync();
            // A container whose process ended while the environment stopped is deleted by the next
            // environment's adoption; there is none here, so delete what is left.
            foreach (var id in OciSupport.Containers())
            {
                using var delete = Process.Start("runc", ["--root", OciSupport.StateRoot, "delete", "--force", id]);
                await delete.WaitForExitAsync();
            }

            Directory.Delete(OciSupport.StateRoot, recursive: true);
        }
    }
}

/// <summary>Real instances in real runc containers: output, sandbox (no network, read-only root, non-root), limits, stop.</summary>
public sealed class OciRunnerTests(OciFixture fixture) : IClassFixture<OciFixture>
{
    private EnvironmentHarness Env => fixture.Harness!;

    [SkippableFact]
    public async Task An_instance_in_a_container_completes_with_its_output_and_the_container_is_deleted()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var (id, tenant, _) = await Env.StartTestInstanceAsync(configure: o => o.Input = """{"message":"contained","number":7}""");

        var info = await Env.WaitForEndAsync(id);
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}");
        info = await WaitForExitAsync(id);
        Assert.Equal("contained", info.Output!.Value.GetProperty("echo").GetProperty("message").GetString());
        Assert.Equal(0, info.ExitCode);
        Assert.True(info.MemoryPeakBytes > 1024 * 1024, $"peak memory {info.MemoryPeakBytes}");
        Assert.Contains($"registered {id}", await File.ReadAllTextAsync(Path.Combine(Env.EnvironmentDataDirectory, "runs", tenant, id, "stdout.log")));
        Assert.DoesNotContain(OciBundle.ContainerId(id), OciSupport.Containers());
    }

    [SkippableFact]
    public async Task An_instance_has_no_network_a_read_only_root_and_no_root_user()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var loopback = $"127.0.0.1:{Env.CoreEndpoints.InstancePort}";
        var (id, _, _) = await Env.StartTestInstanceAsync(configure: o => o.Input = $$"""{"mode":"sandbox","connect":["{{loopback}}","1.1.1.1:443"]}""");

        var info = await Env.WaitForEndAsync(id);
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}");
        var result = info.Output!.Value;
        // The tests run as root, so each run has a user of its own (InstanceUsers), and the container runs as it.
        var uid = result.GetProperty("uid").GetInt32();
        Assert.InRange(uid, new EnvironmentOptions().InstanceUidFirst, int.MaxValue);
        Assert.Equal(uid, result.GetProperty("gid").GetInt32());
        Assert.Equal(["lo"], result.GetProperty("interfaces").EnumerateArray().Select(i => i.GetString()));
        foreach (var target in new[] { loopback, "1.1.1.1:443" })
        {
            Assert.NotEqual("ok", result.GetProperty("connects").GetProperty(target).GetString());
        }

        var writes = result.GetProperty("writes");
        foreach (var path in new[] { "/app/probe", "/probe", "/etc/probe", "/usr/lib/probe" })
        {
            Assert.NotEqual("ok", writes.GetProperty(path).GetString());
        }

        Assert.Equal("ok", writes.GetProperty("/tmp/probe").GetString());
        Assert.Equal("ok", writes.GetProperty("/run/runtara/instance/workspace/probe").GetString());
        Assert.Equal("unix:/run/runtara/core.sock", result.GetProperty("server_addr").GetString());
        Assert.Equal("/run/runtara/instance/input.json", result.GetProperty("input_path").GetString());
    }

    [SkippableFact]
    public async Task An_instance_over_its_memory_limit_is_failed_as_out_of_memory()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var image = await RegisterAsync(tenant, """{"memoryLimitMb":64}""");
        var id = await Env.StartTestInstanceAsync(image, tenant, "memory_hog");

        var info = await Env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Contains("out of memory", info.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("64 MiB", info.Error, StringComparison.Ordinal);
        await WaitForExitAsync(id);
        Assert.DoesNotContain(OciBundle.ContainerId(id), OciSupport.Containers());
    }

    [SkippableFact]
    public async Task A_thread_bomb_is_stopped_by_the_pids_limit()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var image = await RegisterAsync(tenant, """{"pidsLimit":64}""");
        var id = await Env.StartTestInstanceAsync(image, tenant, "threads");

        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}");
        Assert.InRange(info.Output!.Value.GetProperty("threads").GetInt32(), 1, 63);
        Assert.NotEqual(JsonValueKind.Null, info.Output!.Value.GetProperty("stopped_by").ValueKind);
    }

    [SkippableFact]
    public async Task A_cpu_limit_caps_the_cpu_time_of_busy_threads()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var image = await RegisterAsync(tenant, """{"cpuLimit":0.5}""");
        // Two busy threads for 2 s of wall time: 4 s of CPU on two free cores, about 1 s under a limit of half a core.
        var id = await Env.StartTestInstanceAsync(image, tenant, mode: null, o => o.Input = """{"mode":"spin","ms":2000,"threads":2}""");

        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var wall = info.Output!.Value.GetProperty("wall_s").GetDouble();
        var cpu = info.Output!.Value.GetProperty("cpu_s").GetDouble();
        Assert.InRange(wall, 1.9, 10);
        // The CFS quota is enforced per 100 ms period: a little over half a core at most, and it did spin.
        Assert.InRange(cpu / wall, 0.1, 0.6);
    }

    [SkippableFact]
    public async Task An_image_that_opts_in_to_the_host_network_reaches_the_hosts_loopback()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var image = await RegisterAsync(tenant, """{"network":"host"}""");
        var loopback = $"127.0.0.1:{Env.CoreEndpoints.InstancePort}";
        var id = await Env.StartTestInstanceAsync(image, tenant, mode: null, o => o.Input = $$"""{"mode":"sandbox","connect":["{{loopback}}"]}""");

        var info = await Env.WaitForEndAsync(id);

        // The default (An_instance_has_no_network_…) cannot connect; this container shares the host's network.
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal("ok", info.Output!.Value.GetProperty("connects").GetProperty(loopback).GetString());
        Assert.NotEqual(["lo"], info.Output!.Value.GetProperty("interfaces").EnumerateArray().Select(i => i.GetString()));
    }

    [SkippableTheory]
    [InlineData("hang")]
    [InlineData("ignore_term")]
    public async Task Stopping_ends_the_container_and_deletes_it(string mode)
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var (id, _, _) = await Env.StartTestInstanceAsync(mode);
        await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
        Assert.Contains(OciBundle.ContainerId(id), OciSupport.Containers());

        // ignore_term survives SIGTERM: the stop goes on to SIGKILL.
        await Env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });

        var info = await WaitForExitAsync(id);
        Assert.Equal(InstanceStatus.Cancelled, info.Status);
        Assert.DoesNotContain(OciBundle.ContainerId(id), OciSupport.Containers());
    }

    [SkippableFact]
    public async Task A_container_runs_in_a_cgroup_of_its_environment()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var (id, _, _) = await Env.StartTestInstanceAsync("hang");
        var running = await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
        var options = Env.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EnvironmentOptions>>().Value;

        var cgroups = await File.ReadAllTextAsync($"/proc/{running.Pid}/cgroup");

        Assert.Equal(EnvironmentOptions.ScopeOf(options.ResolveEnvironmentId()), options.Oci.EnvironmentScope);
        Assert.Contains($"/runtara/oci-{options.Oci.EnvironmentScope}/{OciBundle.ContainerId(id)}", cgroups, StringComparison.Ordinal);
        await Env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });
        await WaitForExitAsync(id);
    }

    [SkippableFact]
    public async Task A_container_outlives_an_environment_restart_and_is_adopted_by_id()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var (id, _, _) = await Env.StartTestInstanceAsync("hang");
        var running = await Env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);

        await Env.RestartEnvironmentAsync();
        var adopted = await Env.Client.GetInstanceAsync(id);
        Assert.Equal(InstanceStatus.Running, adopted.Status);
        Assert.Equal(running.Pid, adopted.Pid);

        await Env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });
        await Wait.UntilAsync(() => Env.Client.GetInstanceAsync(id), i => i.Status == InstanceStatus.Cancelled && i.Pid is null, EnvironmentHarness.Deadline, $"instance {id} to be stopped");
        Assert.DoesNotContain(OciBundle.ContainerId(id), OciSupport.Containers());
    }

    [SkippableFact]
    public async Task A_native_AOT_image_runs_in_a_container()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        Skip.If(NativeToolchain.SkipReason is not null, NativeToolchain.SkipReason);
        var tenant = Ids.Tenant();
        var published = Path.Combine(Env.Root, $"native-aot-{Guid.NewGuid():N}");
        using var publishing = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await NativeAotPublish.PublishAsync(Path.Combine("samples", "Runtara.Samples.NativeAot", "Runtara.Samples.NativeAot.csproj"), published, publishing.Token);
        var image = await Env.Client.RegisterImageFromDirectoryAsync(published, new RegisterImageOptions { TenantId = tenant, Name = "quote" });

        var id = await Env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"sku":"sku-7","quantity":3}""" });
        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        Assert.Equal("sku-7", info.Output!.Value.GetProperty("sku").GetString());
        Assert.Equal(3, info.Output!.Value.GetProperty("quantity").GetInt32());
    }

    [SkippableFact]
    public async Task An_image_can_choose_the_process_runner()
    {
        Skip.If(OciSupport.SkipReason is not null, OciSupport.SkipReason);
        var tenant = Ids.Tenant();
        var image = await RegisterAsync(tenant, """{"runner":"process"}""");
        var id = await Env.StartTestInstanceAsync(image, tenant, "sandbox");

        var info = await Env.WaitForEndAsync(id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}");
        // The tests run as root (OciSupport): the plain process runs as the run's own user, not in a container.
        Assert.InRange(info.Output!.Value.GetProperty("uid").GetInt32(), new EnvironmentOptions().InstanceUidFirst, int.MaxValue);
        Assert.NotEqual("unix:/run/runtara/core.sock", info.Output!.Value.GetProperty("server_addr").GetString());
    }

    private Task<string> RegisterAsync(string tenant, string metadata) =>
        Env.RegisterTestImageAsync(tenant, metadata: JsonDocument.Parse(metadata).RootElement);

    private Task<InstanceInfo> WaitForExitAsync(string id) =>
        Wait.UntilAsync(() => Env.Client.GetInstanceAsync(id), i => i.ExitCode is not null && i.Pid is null, EnvironmentHarness.Deadline, $"instance {id}'s container to exit");
}

/// <summary>The OCI runner in an environment with no core socket: instances without network could not reach the core.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class OciWithoutCoreSocketTests(EnvironmentFixture fixture)
{
    [Fact]
    public async Task An_image_under_oci_without_network_fails_to_launch_when_the_core_has_no_socket()
    {
        var env = fixture.Harness;
        var tenant = Ids.Tenant();
        var image = await env.RegisterTestImageAsync(tenant, metadata: JsonDocument.Parse("""{"runner":"oci"}""").RootElement);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => env.StartTestInstanceAsync(image, tenant, mode: null));

        Assert.Contains("Launch", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(error.Message.Contains("CoreInstanceSocket", StringComparison.Ordinal) || error.Message.Contains("no OCI runtime", StringComparison.Ordinal), error.Message);
    }
}

/// <summary>The pure parts: container ids, image settings, the bundle's plan.</summary>
public sealed class OciBundleTests
{
    [Fact]
    public void Container_ids_keep_safe_instance_ids_and_hash_others()
    {
        Assert.Equal("runtara-abc_1.2-x", OciBundle.ContainerId("abc_1.2-x"));
        var hashed = OciBundle.ContainerId("a/b c");
        Assert.Matches("^runtara-[0-9a-f]{32}$", hashed);
        Assert.Equal(hashed, OciBundle.ContainerId("a/b c"));
    }

    [Fact]
    public void Environments_on_one_machine_keep_their_containers_cgroups_and_runtime_state_apart()
    {
        var a = new OciOptions { EnvironmentScope = EnvironmentOptions.ScopeOf("host-a") };
        var b = new OciOptions { EnvironmentScope = EnvironmentOptions.ScopeOf("host-b") };
        var id = OciBundle.ContainerId("instance-1");

        Assert.Equal($"/runtara/oci-{a.EnvironmentScope}/{id}", OciBundle.CgroupsPath(a, id));
        Assert.NotEqual(OciBundle.CgroupsPath(a, id), OciBundle.CgroupsPath(b, id));
        Assert.Equal($"/run/runtara-oci/{a.EnvironmentScope}", OciRuntime.StateRootOf(a));
        Assert.NotEqual(OciRuntime.StateRootOf(a), OciRuntime.StateRootOf(b));
        // A configured state root is taken as given.
        Assert.Equal("/srv/oci", OciRuntime.StateRootOf(new OciOptions { StateRoot = "/srv/oci", EnvironmentScope = a.EnvironmentScope }));
    }

    [Fact]
    public void Image_metadata_chooses_runner_network_and_limits()
    {
        var settings = OciImageSettings.Parse("""{"runner":"oci","network":"host","memoryLimitMb":64,"pidsLimit":32,"cpuLimit":0.5,"entrypoint":"x.dll"}""");
        Assert.Equal(new OciImageSettings(RunnerKind.Oci, true, 64, 32, 0.5), settings);
        Assert.Equal(OciImageSettings.None, OciImageSettings.Parse(null));
        Assert.Throws<FormatException>(() => OciImageSettings.Parse("""{"network":"bridge"}"""));
        // Not given: each runner's own default (OCI none, the process runner's ProcessNetwork).
        Assert.False(OciImageSettings.Parse("""{"network":"none"}""").HostNetwork);
        Assert.Null(OciImageSettings.Parse("""{"runner":"process"}""").HostNetwork);
        Assert.Throws<FormatException>(() => OciImageSettings.Parse("""{"memoryLimitMb":"lots"}"""));
    }

    [Fact]
    public void Host_paths_become_container_paths_and_the_core_socket_is_bound()
    {
        var request = new LaunchRequest("i1", "/usr/share/dotnet/dotnet", ["/data/images/abc/app.dll"], "/data/runs/t/i1",
            new Dictionary<string, string>
            {
                ["RUNTARA_SERVER_ADDR"] = "unix:/core/instance.sock",
                ["RUNTARA_INPUT_PATH"] = "/data/runs/t/i1/input.json",
                ["RUNTARA_WORKSPACE_DIR"] = "/data/runs/t/i1/workspace",
                ["OTHER"] = "/data/runs/t/i10/x",
            },
            "/data/runs/t/i1/stdout.log", "/data/runs/t/i1/stderr.log") { ImageRoot = "/data/images/abc" };

        var plan = OciBundle.Plan(request, new OciImageSettings(null, false, 64, null, null), new OciOptions(), _ => false);

        Assert.Equal(["/usr/share/dotnet/dotnet", "/app/app.dll"], plan.Args);
        Assert.Equal("unix:/run/runtara/core.sock", plan.Environment["RUNTARA_SERVER_ADDR"]);
        Assert.Equal("/run/runtara/instance/input.json", plan.Environment["RUNTARA_INPUT_PATH"]);
        Assert.Equal("/data/runs/t/i10/x", plan.Environment["OTHER"]);
        Assert.Equal("/run/runtara/instance/workspace", plan.WorkingDirectory);
        Assert.Equal(64L * 1024 * 1024, plan.MemoryLimitBytes);
        Assert.Equal(512, plan.PidsLimit);
        Assert.Contains(new OciMount("/core/instance.sock", "/run/runtara/core.sock", false), plan.Mounts);
        Assert.Contains(new OciMount("/data/images/abc", "/app", true), plan.Mounts);
        Assert.Contains(new OciMount("/usr/share/dotnet", "/usr/share/dotnet", true), plan.Mounts);
        Assert.Contains(new OciMount("/data/runs/t/i1", "/run/runtara/instance", false), plan.Mounts);
    }

    [Fact]
    public void Without_network_an_instance_needs_the_core_socket()
    {
        var request = new LaunchRequest("i1", "/img/app", [], "/runs/i1", new Dictionary<string, string> { ["RUNTARA_SERVER_ADDR"] = "127.0.0.1:8001" }, "/o", "/e") { ImageRoot = "/img" };

        var error = Assert.Throws<LaunchFailedException>(() => OciBundle.Plan(request, OciImageSettings.None, new OciOptions(), _ => false));
        Assert.Contains("CoreInstanceSocket", error.Message, StringComparison.Ordinal);

        var plan = OciBundle.Plan(request, OciImageSettings.None with { HostNetwork = true }, new OciOptions(), _ => false);
        Assert.Equal("127.0.0.1:8001", plan.Environment["RUNTARA_SERVER_ADDR"]);
        Assert.DoesNotContain(plan.Mounts, m => m.Destination == "/usr/share/dotnet");
    }
}

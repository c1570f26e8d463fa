using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Runner;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using Runtara.Testing;

namespace Runtara.Environment.Tests.Security;

/// <summary>
/// Instances run as users of their own (docs/security.md, "Instance users"): against a real core and
/// environment, a launched instance cannot read the environment's or the core's secrets nor another
/// run's files, yet reads its input and writes its output; links and FIFOs it leaves in its run
/// directory are neither followed nor block the environment. The tests that launch as other users need root and are skipped without it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InstanceUserTests
{
    private const string NeedsRoot = "needs root: only a root environment can run instances as other users (run the tests as root to cover it)";
    private static readonly bool IsRoot = OperatingSystem.IsLinux() && NativeMethods.GetEffectiveUserId() == 0;
    private static readonly UnixFileMode Rwx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly UnixFileMode Rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly UnixFileMode PassOnly = Rwx | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    [SkippableFact]
    public async Task An_instance_runs_as_a_user_of_its_own_and_reaches_only_its_own_files()
    {
        Skip.IfNot(IsRoot, NeedsRoot);
        var logs = new CapturedLogs();
        await using var env = await EnvironmentHarness.StartAsync(logs: logs);
        var data = env.EnvironmentDataDirectory;
        var core = Path.Combine(env.Root, "core");
        var first = await env.StartTestInstanceAsync("complete");
        var firstInfo = await env.WaitForEndAsync(first.Id);
        Assert.True(firstInfo.Status == InstanceStatus.Completed, $"{firstInfo.Status}: {firstInfo.Error}");
        var other = Path.Combine(data, "runs", first.TenantId, first.Id);

        var probe = new StartInstanceOptions
        {
            ImageId = first.ImageId,
            TenantId = first.TenantId,
            Input = JsonSerializer.Serialize(new
            {
                mode = "probe",
                read = new[]
                {
                    TestCredentials.ApiKeyFile(data), Path.Combine(core, "security", "runtara.keys"), Path.Combine(data, "environment.db"), Path.Combine(core, "core.db"),
                    Path.Combine(other, "input.json"), Path.Combine(other, "output.json"), Path.Combine(other, "stdout.log"),
                },
                list = new[] { data, Path.Combine(data, "security"), Path.Combine(data, "runs", first.TenantId), other },
                write = new[] { Path.Combine(other, "output.json"), Path.Combine(other, "workspace", "planted.txt") },
            }),
        };
        var id = await env.Client.StartInstanceAsync(probe);
        var info = await env.WaitForEndAsync(id);

        // It read its own input (the probe lists come from it) and wrote its output (the result below).
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        var result = info.Output!.Value;
        var uid = result.GetProperty("uid").GetInt64();
        Assert.InRange(uid, 200_000, 265_535);
        Assert.Equal(uid, result.GetProperty("gid").GetInt64());
        Assert.Equal(string.Empty, result.GetProperty("groups").GetString());
        Assert.Equal(Path.Combine(data, "runs", first.TenantId, id, "workspace"), result.GetProperty("home").GetString());
        Assert.Equal("ok", result.GetProperty("workspace_write").GetString());
        foreach (var section in new[] { "read", "list", "write" })
        {
            foreach (var attempt in result.GetProperty(section).EnumerateObject())
            {
                Assert.True(attempt.Value.GetString() == "denied", $"{section} {attempt.Name}: {attempt.Value}");
            }
        }

        Assert.False(File.Exists(Path.Combine(other, "workspace", "planted.txt")));
        Assert.Contains(logs.Lines, l => l.Contains("Instances run as users of their own", StringComparison.Ordinal));

        // Between launches a run directory is the environment's again.
        Assert.Equal(0u, UnixFiles.Stat(other)!.Value.Uid);
        Assert.Equal(Rwx, File.GetUnixFileMode(other));
    }

    [SkippableFact]
    public async Task The_data_directories_keep_secrets_owner_only_and_let_instances_pass_only()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix file modes");
        await using var env = await EnvironmentHarness.StartAsync();
        var run = await env.StartTestInstanceAsync("complete");
        await env.WaitForEndAsync(run.Id);
        var data = env.EnvironmentDataDirectory;
        var core = Path.Combine(env.Root, "core");

        Assert.Equal(PassOnly, File.GetUnixFileMode(data));
        Assert.Equal(PassOnly, File.GetUnixFileMode(Path.Combine(data, "runs")));
        Assert.Equal(PassOnly, File.GetUnixFileMode(Path.Combine(data, "runs", run.TenantId)));
        Assert.Equal(PassOnly, File.GetUnixFileMode(Path.Combine(data, "images")));
        Assert.Equal(Rwx, File.GetUnixFileMode(Path.Combine(data, "images", "uploads")));
        Assert.Equal(Rwx, File.GetUnixFileMode(Path.Combine(data, "security")));
        Assert.Equal(Rw, File.GetUnixFileMode(TestCredentials.ApiKeyFile(data)));
        Assert.Equal(Rw, File.GetUnixFileMode(Path.Combine(data, "environment.db")));
        Assert.Equal(Rw, File.GetUnixFileMode(Path.Combine(core, "security", "runtara.keys")));
        Assert.Equal(Rwx, File.GetUnixFileMode(Path.Combine(core, "security")));
        Assert.Equal(Rw, File.GetUnixFileMode(Path.Combine(core, "core.db")));
        // The core's instance socket stays reachable: its directory is passable and the socket 0666.
        Assert.NotEqual((UnixFileMode)0, File.GetUnixFileMode(core) & UnixFileMode.OtherExecute);
    }

    [SkippableFact]
    public async Task Links_and_fifos_an_instance_leaves_in_its_run_directory_are_neither_followed_nor_opened()
    {
        Skip.IfNot(IsRoot, NeedsRoot);
        await using var env = await EnvironmentHarness.StartAsync();
        var secret = await File.ReadAllTextAsync(TestCredentials.ApiKeyFile(env.EnvironmentDataDirectory));
        var tenant = Ids.Tenant();
        var image = await env.RegisterTestImageAsync(tenant);
        var id = await env.Client.StartInstanceAsync(new StartInstanceOptions
        {
            ImageId = image,
            TenantId = tenant,
            Input = JsonSerializer.Serialize(new { mode = "link", target = TestCredentials.ApiKeyFile(env.EnvironmentDataDirectory) }),
            // The retry launches again into the directory the first launch left its links and FIFO in.
            MaxRetries = 1,
        });

        var info = await env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Equal(2, info.LaunchCount);
        Assert.DoesNotContain(secret.Trim(), $"{info.Error}{info.Stderr}{info.Output}", StringComparison.Ordinal);
        foreach (var stream in new[] { "stdout", "stderr" })
        {
            using var log = new MemoryStream();
            await env.Client.GetLogsAsync(id, log, stream);
            Assert.DoesNotContain(secret.Trim(), Encoding.UTF8.GetString(log.ToArray()), StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task A_runtime_the_instance_user_cannot_reach_fails_the_launch_with_a_clear_error()
    {
        Skip.IfNot(IsRoot, NeedsRoot);
        var closed = Directory.CreateTempSubdirectory("runtara-closed-home-");
        try
        {
            // A dotnet under a 0700 home, as an SDK installed by dotnet-install.sh into /root/.dotnet.
            var host = Path.Combine(closed.FullName, "dotnet");
            File.CreateSymbolicLink(host, DotnetHost.Resolve(null));
            await using var env = await EnvironmentHarness.StartAsync(new Dictionary<string, string?> { ["Runtara:Environment:DotnetHostPath"] = host });
            var tenant = Ids.Tenant();
            var image = await env.RegisterTestImageAsync(tenant);
            var options = new StartInstanceOptions { ImageId = image, TenantId = tenant };

            var refused = await Assert.ThrowsAsync<Management.LaunchFailedException>(() => env.Client.StartInstanceAsync(options));

            Assert.Contains($"'{closed.FullName}' is closed to other users", refused.Message, StringComparison.Ordinal);
            var failed = Assert.Single((await env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant })).Instances);
            Assert.Equal(InstanceStatus.Failed, failed.Status);
        }
        finally
        {
            closed.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task Instances_are_given_no_secret_of_the_environment_in_their_variables()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the probe reads /proc");
        await using var env = await EnvironmentHarness.StartAsync();
        var secret = (await File.ReadAllTextAsync(TestCredentials.ApiKeyFile(env.EnvironmentDataDirectory))).Trim();
        var keys = await File.ReadAllTextAsync(Path.Combine(env.Root, "core", "security", "runtara.keys"));
        var run = await env.StartTestInstanceAsync("probe");

        var info = await env.WaitForEndAsync(run.Id);

        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        // The contract's variables (docs/instance-contract.md), the pass-through list, and PWD (set by the launch script's /bin/sh).
        var contract = typeof(LaunchVariables).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)
            .Concat(global::Runtara.Environment.Instances.LaunchEnvironment.PassThroughVariables).Append("PWD").ToHashSet(StringComparer.Ordinal);
        foreach (var variable in info.Output!.Value.GetProperty("variables").EnumerateObject())
        {
            var value = variable.Value.GetString() ?? string.Empty;
            Assert.True(
                contract.Contains(variable.Name) || variable.Name.StartsWith("OTEL_", StringComparison.Ordinal) || variable.Name.StartsWith("DOTNET_", StringComparison.Ordinal),
                $"unexpected variable {variable.Name}");
            Assert.DoesNotContain("__", variable.Name, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, value, StringComparison.Ordinal);
            foreach (var line in keys.Split('\n').Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')))
            {
                Assert.DoesNotContain(line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..], value, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData(InstanceUserMode.Auto, true, 0u, true, true, null)]
    [InlineData(InstanceUserMode.PerRun, true, 0u, true, true, null)]
    [InlineData(InstanceUserMode.Auto, true, 1000u, true, false, "does not run as root (uid 1000)")]
    [InlineData(InstanceUserMode.Auto, true, 0u, false, false, "setpriv (util-linux) was not found at /nowhere/setpriv")]
    [InlineData(InstanceUserMode.Auto, false, 0u, true, false, "only supported on Linux")]
    [InlineData(InstanceUserMode.Off, true, 0u, true, false, "switched off")]
    public void Whether_instances_get_users_of_their_own(InstanceUserMode mode, bool onLinux, uint uid, bool setprivExists, bool enabled, string? reason)
    {
        var decision = InstanceUsers.Decide(mode, onLinux, uid, setprivExists, "/nowhere/setpriv");

        Assert.Equal(enabled, decision.Enabled);
        if (reason is null)
        {
            Assert.Null(decision.Reason);
        }
        else
        {
            Assert.Contains(reason, decision.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_environment_that_cannot_switch_users_warns_once_at_start_and_refuses_when_per_run_users_are_required()
    {
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = new EnvironmentOptions { SetprivPath = "/nowhere/setpriv" };

        var users = new InstanceUsers(Options.Create(options), factory.CreateLogger<InstanceUsers>());

        Assert.False(users.Enabled);
        Assert.Null(users.Acquire("order-1"));
        var warning = Assert.Single(logs.Lines, l => l.Contains("Instances run as the environment's own user", StringComparison.Ordinal));
        Assert.Contains(IsRoot ? "/nowhere/setpriv" : "does not run as root", warning, StringComparison.Ordinal);
        options.InstanceUsers = InstanceUserMode.PerRun;
        var refused = Assert.Throws<InvalidOperationException>(() => new InstanceUsers(Options.Create(options), factory.CreateLogger<InstanceUsers>()));
        Assert.Contains("InstanceUsers is PerRun", refused.Message, StringComparison.Ordinal);
    }
}

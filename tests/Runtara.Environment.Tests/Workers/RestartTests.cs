using System.Diagnostics;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Workers;

/// <summary>
/// Restart safety: after the environment stops and starts again, live instance processes are re-adopted
/// (same pid and kernel start time) and runs whose process vanished are settled — none stays RUNNING.
/// The SIGKILL variant with separate processes is in Runtara.EndToEnd.Tests.
/// </summary>
public sealed class RestartTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private EnvironmentHarness _env = null!;

    public async Task InitializeAsync() => _env = await EnvironmentHarness.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task A_live_instance_is_re_adopted_after_a_restart_and_can_still_be_stopped()
    {
        var id = (await _env.StartTestInstanceAsync("wait_signal")).Id;
        var before = await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        await _env.RestartEnvironmentAsync();
        var after = await _env.Client.GetInstanceAsync(id);

        Assert.Equal(InstanceStatus.Running, after.Status);
        Assert.Equal(before.Pid, after.Pid);
        await _env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(5) });
        Assert.Equal(InstanceStatus.Cancelled, (await _env.Client.GetInstanceAsync(id)).Status);
    }

    [Fact]
    public async Task A_re_adopted_instance_that_finishes_is_recorded()
    {
        var id = (await _env.StartTestInstanceAsync("custom_signal")).Id;
        await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        await _env.RestartEnvironmentAsync();
        await _env.Client.SendCustomSignalAsync(id, "wait-input", "after-restart"u8.ToArray());
        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Completed, info.Status);
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(id), i => i.Pid is null, Deadline, "the adopted process to be recorded as ended");
    }

    [Fact]
    public async Task An_instance_whose_process_died_while_the_environment_was_down_is_failed_with_a_reason()
    {
        var id = (await _env.StartTestInstanceAsync("wait_signal")).Id;
        var running = await _env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
        // As root on cgroup v1 the process runner gives the run a cgroup (docs/environment.md, "Process runner"); settling removes it.
        var cgroup = $"/sys/fs/cgroup/pids{_env.RunCgroupDirectory}/runtara-{id}";
        var hasCgroup = Directory.Exists(cgroup);

        await _env.RestartEnvironmentAsync(whileDown: async () =>
        {
            using var process = Process.GetProcessById(running.Pid!.Value);
            process.Kill();
            await process.WaitForExitAsync();
        });
        var info = await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(id), i => i.IsTerminal, Deadline, "the orphaned run to be settled");

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Contains("restarted", info.Error, StringComparison.Ordinal);
        if (hasCgroup)
        {
            Assert.False(Directory.Exists(cgroup), $"{cgroup} outlived the settled run");
        }
    }
}

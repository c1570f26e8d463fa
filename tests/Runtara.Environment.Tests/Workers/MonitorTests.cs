using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Workers;

/// <summary>An environment with a short heartbeat timeout, for the heartbeat monitor and the execution timeout (SPEC §14.8, §19.11).</summary>
public sealed class ShortTimeoutFixture : IAsyncLifetime
{
    public EnvironmentHarness Harness { get; private set; } = null!;

    public async Task InitializeAsync() => Harness = await EnvironmentHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Runtara:Environment:HeartbeatInterval"] = "00:00:00.300",
        ["Runtara:Environment:HeartbeatTimeout"] = "00:00:04",
        ["Runtara:Environment:MaxActiveInstancesPerTenant"] = "2",
    });

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

public sealed class MonitorTests(ShortTimeoutFixture fixture) : IClassFixture<ShortTimeoutFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task A_silent_instance_is_failed_by_the_heartbeat_monitor_and_its_process_killed()
    {
        var id = (await _env.StartTestInstanceAsync("hang")).Id;
        var running = await _env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);

        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Contains("heartbeat timeout", info.Error, StringComparison.Ordinal);
        await Wait.UntilAsync(() => Task.FromResult(ProcessGone(running.Pid!.Value)), gone => gone, Deadline, "the silent process to be killed");
    }

    [Fact]
    public async Task A_silent_instance_with_retries_left_is_relaunched_first()
    {
        var id = (await _env.StartTestInstanceAsync("hang", o => o.MaxRetries = 1)).Id;

        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Equal(2, info.LaunchCount);
        Assert.Equal(1, info.RetryCount);
    }

    [Fact]
    public async Task An_active_instance_past_its_timeout_is_killed_and_failed()
    {
        var id = (await _env.StartTestInstanceAsync("busy", o => o.TimeoutSeconds = 1)).Id;

        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Contains("Execution timeout", info.Error, StringComparison.Ordinal);
        Assert.True(info.FinishedAt - info.StartedAt < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Suspended_and_finished_instances_are_left_alone()
    {
        var (done, tenant, image) = await _env.StartTestInstanceAsync();
        var paused = await _env.StartTestInstanceAsync(image, tenant, "wait_signal");
        await _env.WaitForEndAsync(done);
        await _env.WaitForStatusAsync(paused, InstanceStatus.Running);
        await _env.Client.PauseInstanceAsync(paused);
        await _env.WaitForEndAsync(paused, orSuspended: true);

        // Two heartbeat timeouts later nothing changed (a loaded machine may take a few seconds to start a process, so the timeout is 4 s).
        var until = DateTime.UtcNow.AddSeconds(8);
        while (DateTime.UtcNow < until)
        {
            Assert.Equal(InstanceStatus.Completed, (await _env.Client.GetInstanceAsync(done)).Status);
            Assert.Equal(InstanceStatus.Suspended, (await _env.Client.GetInstanceAsync(paused)).Status);
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task A_tenant_over_its_active_instance_quota_is_refused_and_other_tenants_are_not_affected()
    {
        var (first, tenant, image) = await _env.StartTestInstanceAsync("wait_signal");
        var second = await _env.StartTestInstanceAsync(image, tenant, "wait_signal");

        var error = await Assert.ThrowsAsync<Management.QuotaExceededException>(() => _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant }));
        var other = Ids.Tenant();
        var otherImage = await _env.RegisterTestImageAsync(other);
        var allowed = await _env.StartTestInstanceAsync(otherImage, other, null);

        Assert.Equal(EnvironmentErrorCodes.QuotaExceeded, error.Code);
        Assert.Equal(InstanceStatus.Completed, (await _env.WaitForEndAsync(allowed)).Status);
        await _env.Client.StopInstanceAsync(first);
        await _env.Client.StopInstanceAsync(second);
    }

    private static bool ProcessGone(int pid) =>
        !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
}

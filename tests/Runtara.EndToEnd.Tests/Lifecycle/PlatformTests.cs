using System.Collections.Concurrent;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Lifecycle;

/// <summary>Scenarios across real core and environment processes (SPEC §18.5, restart safety, durable sleep).</summary>
[Collection(PlatformCollection.Name)]
public sealed class PlatformTests(PlatformFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task Durable_sleep_is_woken_by_the_scheduler_after_at_least_its_delay()
    {
        var tenant = Ids.Tenant();
        var image = await _platform.RegisterTestImageAsync(tenant);
        var started = DateTime.UtcNow;
        var id = await _platform.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"mode":"sleep","sleep_ms":2000}""" });

        var info = await _platform.Client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = Deadline });

        Assert.Equal(InstanceStatus.Completed, info.Status);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(2));
        Assert.Equal(2, info.LaunchCount);
    }

    [Fact]
    public async Task Concurrent_instances_never_show_failed_before_completed()
    {
        var tenant = Ids.Tenant();
        var image = await _platform.RegisterTestImageAsync(tenant);
        var ids = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => _platform.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant })));
        var histories = new ConcurrentDictionary<string, List<InstanceStatus>>();

        await Task.WhenAll(ids.Select(async id =>
        {
            var history = histories.GetOrAdd(id, _ => []);
            var deadline = DateTime.UtcNow + Deadline;
            while (DateTime.UtcNow < deadline)
            {
                var status = (await _platform.Client.GetInstanceAsync(id)).Status;
                if (history.Count == 0 || history[^1] != status)
                {
                    history.Add(status);
                }

                if (status == InstanceStatus.Completed)
                {
                    return;
                }

                await Task.Delay(100);
            }
        }));

        foreach (var (id, history) in histories)
        {
            Assert.Equal(InstanceStatus.Completed, history[^1]);
            Assert.DoesNotContain(InstanceStatus.Failed, history);
        }
    }

    [Fact]
    public async Task Environment_killed_with_sigkill_and_restarted_re_adopts_live_instances_and_settles_dead_ones()
    {
        var tenant = Ids.Tenant();
        var image = await _platform.RegisterTestImageAsync(tenant);
        var live = await _platform.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"mode":"custom_signal"}""" });
        var doomed = await _platform.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"mode":"wait_signal"}""" });
        var liveBefore = await Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(live), i => i.Status == InstanceStatus.Running && i.Pid is not null, Deadline, "running");
        var doomedBefore = await Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(doomed), i => i.Status == InstanceStatus.Running && i.Pid is not null, Deadline, "running");

        await _platform.KillAndRestartEnvironmentAsync(whileDown: async () =>
        {
            using var process = System.Diagnostics.Process.GetProcessById(doomedBefore.Pid!.Value);
            process.Kill();
            await process.WaitForExitAsync();
        });

        var liveAfter = await _platform.Client.GetInstanceAsync(live);
        Assert.Equal(InstanceStatus.Running, liveAfter.Status);
        Assert.Equal(liveBefore.Pid, liveAfter.Pid);
        var doomedAfter = await Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(doomed), i => i.IsTerminal, Deadline, "the dead instance to be settled");
        Assert.Equal(InstanceStatus.Failed, doomedAfter.Status);
        Assert.Contains("restarted", doomedAfter.Error, StringComparison.Ordinal);

        await _platform.Client.SendCustomSignalAsync(live, "wait-input", "after-kill"u8.ToArray());
        var completed = await _platform.Client.WaitForCompletionAsync(live, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = Deadline });
        Assert.Equal("after-kill", completed.Output!.Value.GetProperty("received").GetString());
        await Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(live), i => i.Pid is null, Deadline, "the adopted process's exit to be recorded");
    }

    [Fact]
    public async Task Tenant_b_cannot_see_start_stop_or_signal_tenant_a_work()
    {
        var a = Ids.Tenant();
        var image = await _platform.RegisterTestImageAsync(a);
        var id = await _platform.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = a, Input = """{"mode":"wait_signal"}""" });
        await using var b = _platform.NewClient(Ids.Tenant());

        await Assert.ThrowsAsync<ImageNotFoundException>(() => b.GetImageAsync(image));
        await Assert.ThrowsAsync<ImageNotFoundException>(() => b.StartInstanceAsync(new StartInstanceOptions { ImageId = image }));
        await Assert.ThrowsAsync<InstanceNotFoundException>(() => b.GetInstanceAsync(id));
        await Assert.ThrowsAsync<InstanceNotFoundException>(() => b.StopInstanceAsync(id));
        await Assert.ThrowsAsync<InstanceNotFoundException>(() => b.CancelInstanceAsync(id));
        Assert.Equal(0, (await b.ListImagesAsync()).TotalCount);
        Assert.Equal(0, (await b.ListInstancesAsync()).TotalCount);

        await _platform.Client.StopInstanceAsync(id, tenantId: a);
    }
}

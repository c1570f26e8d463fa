using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Environment.Workers;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Workers;

/// <summary>
/// A partitioned environment (docs/environment.md, "Several environments"): when its renewal finds that a run it
/// still runs locally belongs to another environment now, it kills that process and leaves the run to its owner.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class LostRunTests(EnvironmentFixture fixture)
{
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task A_local_process_of_a_run_another_environment_took_over_is_killed_and_the_run_not_settled()
    {
        var id = (await _env.StartTestInstanceAsync("custom_signal")).Id;
        var running = await _env.WaitForStatusAsync(id, InstanceStatus.Running, i => i.Pid is not null);
        var store = _env.Services.GetRequiredService<IEnvironmentStore>();
        var supervisor = _env.Services.GetRequiredService<InstanceSupervisor>();
        var worker = _env.Services.GetServices<IHostedService>().OfType<RunLeaseWorker>().Single();
        // This environment could not renew (its lease ran out) and another one took the run over.
        var run = await store.GetRunAsync(id, default);
        Assert.True(await store.UpdateRunAsync(run! with { LeaseUntilMs = 0 }, default));
        Assert.Contains(id, (await store.ClaimExpiredRunsAsync("env-elsewhere", 1, long.MaxValue / 2, 10_000, default)).Select(r => r.InstanceId));

        Assert.Equal(1, await worker.RenewAsync(default));

        Assert.False(supervisor.IsLive(id));
        await Wait.UntilAsync(() => Task.FromResult(!File.Exists($"/proc/{running.Pid}/stat") || File.ReadAllText($"/proc/{running.Pid}/stat").Contains(") Z ", StringComparison.Ordinal)),
            gone => gone, EnvironmentHarness.Deadline, "the lost run's process to be killed");
        var after = await store.GetRunAsync(id, default);
        Assert.Equal((RunStatus.Running, "env-elsewhere", 1, 0), (after!.Status, after.OwnerId, after.LaunchCount, after.RetryCount));
    }
}

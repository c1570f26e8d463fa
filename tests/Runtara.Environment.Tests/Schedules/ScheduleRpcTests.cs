using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Schedules;

/// <summary>
/// The schedule RPCs against a real environment and core with tenant-scoped API keys: another tenant's
/// key is refused outright, an admin naming the wrong tenant sees nothing, and a schedule really fires
/// an instance of its image (id derived from the fire time) that runs to completion.
/// </summary>
// Exceptions are named in full: Runtara.Environment has server-side ones of the same names.
public sealed class ScheduleRpcTests : IAsyncLifetime
{
    private const string TenantA = "tenant-a";
    private const string TenantB = "tenant-b";
    private const string KeyA = "key-of-tenant-a-0123456789";
    private const string KeyB = "key-of-tenant-b-0123456789";
    private const string AdminKey = "admin-key-all-tenants-0123456789";
    private EnvironmentHarness _env = null!;

    public async Task InitializeAsync() => _env = await EnvironmentHarness.StartAsync(
        new Dictionary<string, string?>
        {
            ["Runtara:Environment:ApiKeys:tenant-a:Key"] = KeyA,
            ["Runtara:Environment:ApiKeys:tenant-a:Tenants:0"] = TenantA,
            ["Runtara:Environment:ApiKeys:tenant-b:Key"] = KeyB,
            ["Runtara:Environment:ApiKeys:tenant-b:Tenants:0"] = TenantB,
            [EnvironmentHarness.AdminApiKeySetting] = AdminKey,
            ["Runtara:Environment:ApiKeys:admin:Tenants:0"] = "*",
        });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Another_tenant_can_neither_see_nor_change_a_schedule_over_the_protocol()
    {
        await using var a = _env.NewClient(apiKey: KeyA);
        await using var b = _env.NewClient(apiKey: KeyB);
        await using var admin = _env.NewClient(apiKey: AdminKey);
        await a.RegisterImageFromFileAsync(TestImages.TestInstanceZip, new RegisterImageOptions { TenantId = TenantA, Name = "a-image", Entrypoint = TestImages.TestInstanceEntrypoint });
        var created = await a.CreateScheduleAsync(new CreateScheduleOptions { TenantId = TenantA, ScheduleId = "a-nightly", Image = "a-image", Cron = "0 0 2 * * *" });

        async Task Denied(Func<Task> call) =>
            Assert.Equal(RpcErrorCodes.PermissionDenied, (await Assert.ThrowsAnyAsync<ManagementException>(call)).Code);

        // B's key naming tenant A is refused before anything is looked up.
        await Denied(() => b.GetScheduleAsync("a-nightly", TenantA));
        await Denied(() => b.ListSchedulesAsync(TenantA));
        await Denied(() => b.PauseScheduleAsync("a-nightly", TenantA));
        await Denied(() => b.UnpauseScheduleAsync("a-nightly", TenantA));
        await Denied(() => b.TriggerScheduleAsync("a-nightly", TenantA));
        await Denied(() => b.DeleteScheduleAsync("a-nightly", TenantA));
        await Denied(() => b.CreateScheduleAsync(new CreateScheduleOptions { TenantId = TenantA, ScheduleId = "b-in-a", Image = "a-image", Cron = "* * * * *" }));

        // Naming its own tenant, B finds nothing of A's.
        await Assert.ThrowsAsync<Runtara.Management.ScheduleNotFoundException>(() => b.GetScheduleAsync("a-nightly", TenantB));
        await Assert.ThrowsAsync<Runtara.Management.ScheduleNotFoundException>(() => b.PauseScheduleAsync("a-nightly", TenantB));
        await Assert.ThrowsAsync<Runtara.Management.ScheduleNotFoundException>(() => b.TriggerScheduleAsync("a-nightly", TenantB));
        await Assert.ThrowsAsync<Runtara.Management.ScheduleNotFoundException>(() => b.DeleteScheduleAsync("a-nightly", TenantB));
        await Assert.ThrowsAsync<Runtara.Management.ScheduleAlreadyExistsException>(() => b.CreateScheduleAsync(new CreateScheduleOptions { TenantId = TenantB, ScheduleId = "a-nightly", Image = "a-image", Cron = "* * * * *" }));
        Assert.Equal(0, (await b.ListSchedulesAsync(TenantB)).TotalCount);
        await Assert.ThrowsAsync<Runtara.Management.ScheduleNotFoundException>(() => admin.GetScheduleAsync("a-nightly", TenantB));

        var still = await a.GetScheduleAsync("a-nightly", TenantA);
        Assert.Equal(created.NextFireAt, still.NextFireAt);
        Assert.False(still.Paused);
    }

    [Fact]
    public async Task A_schedule_fires_a_real_instance_that_completes_and_trigger_is_idempotent_per_second()
    {
        await using var a = _env.NewClient(apiKey: KeyA);
        var imageId = await a.RegisterImageFromFileAsync(TestImages.TestInstanceZip, new RegisterImageOptions { TenantId = TenantA, Name = "fired", Entrypoint = TestImages.TestInstanceEntrypoint });
        var schedule = await a.CreateScheduleAsync(new CreateScheduleOptions
        {
            TenantId = TenantA, ScheduleId = "every-second", Image = imageId, Cron = "* * * * * *", Input = """{"input":{"n":7}}""", Overlap = ScheduleOverlapPolicy.Skip,
        });
        Assert.NotNull(schedule.NextFireAt);

        var fired = await Wait.UntilAsync(() => a.GetScheduleAsync("every-second", TenantA), s => s.LastInstanceId is not null, TimeSpan.FromSeconds(30), "a fire");
        var paused = await a.PauseScheduleAsync("every-second", TenantA);
        var done = await a.WaitForCompletionAsync(fired.LastInstanceId!, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromSeconds(45) }, TenantA);
        var first = await a.TriggerScheduleAsync("every-second", TenantA);
        var second = await a.TriggerScheduleAsync("every-second", TenantA);

        Assert.Matches("^every-second-\\d{8}T\\d{6}Z$", fired.LastInstanceId);
        Assert.Equal(InstanceStatus.Completed, done.Status);
        Assert.Equal(7, done.Output!.Value.GetProperty("echo").GetProperty("input").GetProperty("n").GetInt32());
        Assert.True(paused.Paused);
        Assert.StartsWith("every-second-", first.InstanceId, StringComparison.Ordinal);
        // Two triggers in one second are one instance (rarely they straddle a second: then two distinct ones).
        Assert.True(first.InstanceId == second.InstanceId ? !second.Created : second.Created);
        await a.DeleteScheduleAsync("every-second", TenantA);
        await Assert.ThrowsAsync<Runtara.Management.ScheduleNotFoundException>(() => a.GetScheduleAsync("every-second", TenantA));
        Assert.Equal(InstanceStatus.Completed, (await a.GetInstanceAsync(fired.LastInstanceId!, TenantA)).Status);
    }
}

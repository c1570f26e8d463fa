using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Instances;

/// <summary>
/// Tenant B can neither see, start, stop, signal, resume nor read tenant A's instances (the original
/// checked tenants on images only, SPEC §19.2): every instance RPC that names a tenant checks it.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class TenantIsolationTests(EnvironmentFixture fixture)
{
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task Tenant_b_cannot_see_or_touch_tenant_a_instances()
    {
        var a = Ids.Tenant();
        var b = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(a);
        var id = await _env.StartTestInstanceAsync(image, a, "wait_signal");
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(id, a), i => i.Status == InstanceStatus.Running, TimeSpan.FromSeconds(30), "running");
        await using var asB = _env.NewClient(b);

        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.GetInstanceAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.StopInstanceAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.PauseInstanceAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.CancelInstanceAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.ResumeInstanceAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.SendCustomSignalAsync(id, "wait-input", [1]));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.ListCheckpointsAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.GetCheckpointAsync(id, "loop-0"));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.ListEventsAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.ListRetryAttemptsAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => asB.GetLogsAsync(id, new MemoryStream()));
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => asB.StartInstanceAsync(new StartInstanceOptions { ImageId = image }));
        var imageOfB = await _env.RegisterTestImageAsync(b);
        await Assert.ThrowsAsync<Management.InstanceAlreadyExistsException>(() => _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = imageOfB, TenantId = b, InstanceId = id }));
        Assert.Equal(0, (await asB.ListInstancesAsync()).TotalCount);

        // Nothing B did changed A's instance.
        var info = await _env.Client.GetInstanceAsync(id, a);
        Assert.Equal(InstanceStatus.Running, info.Status);
        await _env.Client.StopInstanceAsync(id, tenantId: a);
    }
}

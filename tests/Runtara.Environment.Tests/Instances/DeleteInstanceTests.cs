using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Runtara.Environment.Core;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Instances;

/// <summary>
/// DeleteInstance (docs/operations.md "Retention") against a real environment and core: a finished
/// instance goes from both (run, run directory, the core's rows); a live one is refused, and another
/// tenant's or an unknown id is INSTANCE_NOT_FOUND.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class DeleteInstanceTests(EnvironmentFixture fixture)
{
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task Delete_removes_a_finished_instance_from_environment_and_core_and_refuses_live_and_foreign_ones()
    {
        var finished = await _env.StartTestInstanceAsync();
        await _env.WaitForEndAsync(finished.Id);
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(finished.Id), i => i.Pid is null && i.ExitCode is not null, EnvironmentHarness.Deadline, "exit recorded");
        var live = await _env.StartTestInstanceAsync(finished.ImageId, finished.TenantId, "wait_signal");
        await _env.WaitForStatusAsync(live, InstanceStatus.Running);
        var runDirectory = Path.Combine(_env.EnvironmentDataDirectory, "runs", finished.TenantId, finished.Id);
        Assert.True(Directory.Exists(runDirectory));

        var refused = await Assert.ThrowsAsync<Management.InstanceStateException>(() => _env.Client.DeleteInstanceAsync(live, finished.TenantId));
        Assert.Equal(EnvironmentErrorCodes.InvalidInstanceState, refused.Code);
        var foreign = await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.DeleteInstanceAsync(finished.Id, Ids.Tenant()));
        Assert.Equal(EnvironmentErrorCodes.InstanceNotFound, foreign.Code);
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.DeleteInstanceAsync("no-such-instance", finished.TenantId));

        await _env.Client.DeleteInstanceAsync(finished.Id, finished.TenantId);

        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.GetInstanceAsync(finished.Id, finished.TenantId));
        Assert.False(Directory.Exists(runDirectory));
        Assert.Null(await _env.Services.GetRequiredService<ICoreClient>().GetStatusAsync(finished.Id, CancellationToken.None));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.DeleteInstanceAsync(finished.Id, finished.TenantId));
        Assert.Equal(InstanceStatus.Running, (await _env.Client.GetInstanceAsync(live, finished.TenantId)).Status);
        await _env.Client.StopInstanceAsync(live, tenantId: finished.TenantId);
    }

    [Theory]
    [InlineData("Runtara:Environment:Retention:Period", "-1.00:00:00", "Runtara:Environment:Retention:Period")]
    [InlineData("Runtara:Environment:Retention:BatchSize", "0", "Runtara:Environment:Retention:BatchSize")]
    [InlineData("Runtara:Environment:Retention:TenantPeriods:acme", "-00:00:01", "Runtara:Environment:Retention:TenantPeriods:acme")]
    public async Task A_bad_retention_setting_stops_start_up_with_a_message_naming_the_key(string key, string value, string named)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => EnvironmentHarness.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}

using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using Runtara.Testing;

namespace Runtara.Environment.Tests.Storage;

/// <summary>The environment on its PostgreSQL store: images, a real instance, listing, and a restart that re-adopts.</summary>
public sealed class PostgresEnvironmentTests : IClassFixture<PostgresStoreFixture>, IAsyncLifetime
{
    private readonly PostgresStoreFixture _postgres;
    private EnvironmentHarness? _env;

    public PostgresEnvironmentTests(PostgresStoreFixture postgres) => _postgres = postgres;

    public async Task InitializeAsync()
    {
        if (_postgres.Cluster is { } cluster)
        {
            var database = $"env_{Guid.NewGuid():N}";
            await cluster.CreateDatabaseAsync(database);
            _env = await EnvironmentHarness.StartAsync(environmentPostgres: cluster.ConnectionString(database));
        }
    }

    public async Task DisposeAsync()
    {
        if (_env is not null)
        {
            await _env.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task An_instance_runs_is_listed_and_survives_a_restart_of_an_environment_on_postgresql()
    {
        Skip.If(_env is null, PostgresCluster.SkipReason);
        var tenant = Ids.Tenant();
        var image = await _env!.RegisterTestImageAsync(tenant);
        var done = await _env.StartTestInstanceAsync(image, tenant, null, o => o.Input = """{"x":1}""");
        var waiting = await _env.StartTestInstanceAsync(image, tenant, "custom_signal");

        var completed = await _env.Client.WaitForCompletionAsync(done, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromSeconds(45) });
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(waiting), i => i.Status == InstanceStatus.Running, TimeSpan.FromSeconds(45), "running");
        await _env.RestartEnvironmentAsync();
        await _env.Client.SendCustomSignalAsync(waiting, "wait-input", "pg"u8.ToArray());
        var resumed = await _env.Client.WaitForCompletionAsync(waiting, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromSeconds(45) });
        var list = await _env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Status = InstanceStatus.Completed });

        Assert.Equal(1, completed.Output!.Value.GetProperty("echo").GetProperty("x").GetInt32());
        Assert.Equal("pg", resumed.Output!.Value.GetProperty("received").GetString());
        Assert.Equal(2, list.TotalCount);
        Assert.Equal(1, (await _env.Client.ListImagesAsync(tenant)).TotalCount);
    }
}

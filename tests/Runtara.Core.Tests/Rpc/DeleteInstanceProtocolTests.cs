using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Management;

namespace Runtara.Core.Tests.Rpc;

/// <summary>The management protocol's DeleteInstance (field 30, docs/operations.md "Retention") against a real core, once per backend.</summary>
public abstract class DeleteInstanceProtocolTests(ICoreFixture fixture) : CoreTestBase(fixture)
{
    [SkippableFact(Timeout = Timeout)]
    public async Task Delete_removes_a_finished_instance_of_the_tenant_and_refuses_live_foreign_and_unknown_ones()
    {
        var (id, tenant) = await RunningInstanceAsync("del");
        await Instance.CheckpointAsync(id, "step-1", Bytes("{}"));

        await AssertRpcErrorAsync(CoreErrorCodes.InvalidInstanceState, () => DeleteAsync(id, tenant));
        await Management.FinishAsync(id, InstanceStatus.StatusCompleted);
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => DeleteAsync(id, Ids.Tenant()));
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => DeleteAsync(Ids.Instance(), tenant));
        Assert.Equal(InstanceStatus.StatusCompleted, (await Management.StatusAsync(id)).Status);

        var response = await DeleteAsync(id, tenant);

        Assert.True(response.DeleteInstance.Deleted);
        Assert.Equal(InstanceStatus.StatusUnknown, (await Management.StatusAsync(id)).Status);
        Assert.Equal(0u, (await Management.ListCheckpointsAsync(new ListCheckpointsRequest { InstanceId = id })).TotalCount);
        await AssertRpcErrorAsync(CoreErrorCodes.InstanceNotFound, () => DeleteAsync(id, tenant));
    }

    private Task<RpcResponse> DeleteAsync(string id, string tenant) =>
        Management.Client.CallAsync(new RpcRequest { DeleteInstance = new DeleteInstanceRequest { InstanceId = id, TenantId = tenant } });
}

[Collection(SqliteCollection.Name)]
public sealed class SqliteDeleteInstanceProtocolTests(SqliteCoreFixture fixture) : DeleteInstanceProtocolTests(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresDeleteInstanceProtocolTests(PostgresFixture fixture) : DeleteInstanceProtocolTests(fixture);

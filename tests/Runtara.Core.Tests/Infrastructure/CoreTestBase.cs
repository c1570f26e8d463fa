using System.Text;

namespace Runtara.Core.Tests.Infrastructure;

/// <summary>Shared helpers of the suites that run against a core on each backend.</summary>
public abstract class CoreTestBase(ICoreFixture fixture)
{
    /// <summary>Per-test timeout (ms) so a hung call fails the test instead of the run.</summary>
    public const int Timeout = 60_000;

    protected ICoreFixture Fixture { get; } = fixture;

    /// <summary>The core, or a skip with the reason when the backend is not available here.</summary>
    protected CoreHost Core
    {
        get
        {
            Skip.If(Fixture.SkipReason is not null, Fixture.SkipReason);
            return Fixture.Core;
        }
    }

    protected InstanceApi Instance => Core.Instance;

    protected ManagementApi Management => Core.Management;

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Asserts the call fails with an RpcError carrying <paramref name="code"/>.</summary>
    protected static async Task<RpcException> AssertRpcErrorAsync(string code, Func<Task> call)
    {
        var exception = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, exception.Code);
        return exception;
    }

    /// <summary>A registered (RUNNING) instance of a fresh tenant.</summary>
    protected async Task<(string InstanceId, string TenantId)> RunningInstanceAsync(string hint = "i")
    {
        var id = Ids.Instance(hint);
        var tenant = Ids.Tenant();
        var response = await Instance.RegisterAsync(id, tenant);
        Assert.True(response.Success);
        return (id, tenant);
    }
}

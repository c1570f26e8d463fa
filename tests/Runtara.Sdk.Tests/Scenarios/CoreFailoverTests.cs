using System.Net;
using System.Net.Sockets;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Scenarios;

/// <summary>
/// <c>RUNTARA_SERVER_ADDR</c> as a list of cores (docs/instance-contract.md): the SDK connects to the
/// first core that accepts, so a list whose first core is down still runs the workflow.
/// </summary>
[Collection(CoreCollection.Name)]
public sealed class CoreFailoverTests(CoreFixture fixture)
{
    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_workflow_runs_against_a_list_whose_first_core_is_down()
    {
        var id = Ids.Instance("failover");
        var options = fixture.Harness.Options();
        options.ServerAddress = $"127.0.0.1:{ClosedPort()},{fixture.Core.InstanceAddress}";
        await using var connection = await RuntaraConnection.ConnectAsync(options);

        var outcome = await connection.RunAsync<string, string>(
            (ctx, input, ct) => ctx.StepAsync("echo", _ => Task.FromResult(input), ScenarioJson.Default.String, cancellationToken: ct),
            "hello",
            ScenarioJson.Default.String,
            new InstanceIdentity(id, Ids.Tenant()));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("hello", outcome.Result);
        Assert.Equal(Protocol.Contracts.InstanceStatus.Completed, (await fixture.Harness.ViewAsync(id)).Status);
    }

    /// <summary>A loopback port nothing listens on (bound to port 0, released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

using System.Text.Json;
using Runtara.Protocol.Transport;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Tests.Infrastructure;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Sdk.Tests.Scenarios;

/// <summary>
/// Issue 14, "A core outage is a wait, not a failure": real instance processes against a real core
/// that is stopped and started again. Each test owns its core (it stops it), so none uses the shared fixture.
/// </summary>
public sealed class CoreOutageTests
{
    [Fact(Timeout = TestTimeouts.Long)]
    public async Task Instances_running_while_the_core_restarts_on_the_same_port_and_data_complete()
    {
        using var directory = new TempDirectory("runtara-sdk-outage");
        var data = Directory.CreateDirectory(Path.Combine(directory.Path, "core")).FullName;
        var counters = Directory.CreateDirectory(Path.Combine(directory.Path, "counters")).FullName;
        var core = await CoreHost.StartAsync(data);
        var ports = new Dictionary<string, string?>
        {
            // The restarted core listens where the first one did, as a restarted service would.
            ["Runtara:Core:InstancePort"] = core.Endpoints.InstancePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Runtara:Core:ManagementPort"] = core.Endpoints.ManagementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        const int instances = 5;
        const int steps = 30;
        var children = new List<(string Id, ChildWorkflowProcess Process)>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                var id = Ids.Instance($"outage{i}");
                var input = Path.Combine(directory.Path, $"input-{i}.json");
                var counterDirectory = Directory.CreateDirectory(Path.Combine(counters, id)).FullName;
                await File.WriteAllTextAsync(input, $$"""{"steps":{{steps}},"stepDelayMs":150,"counterDirectory":"{{counterDirectory}}"}""");
                var environment = new Dictionary<string, string>
                {
                    [InstanceEnvironment.ServerAddress] = core.InstanceAddress,
                    [InstanceEnvironment.Transport] = "tcp",
                    [InstanceEnvironment.PinnedCertificate] = core.CertificatePath,
                    [InstanceEnvironment.InstanceToken] = core.ServiceToken,
                    [InstanceEnvironment.InstanceId] = id,
                    [InstanceEnvironment.TenantId] = "tenant-outage",
                    [InstanceEnvironment.InputPath] = input,
                    [InstanceEnvironment.HeartbeatIntervalMs] = "200",
                    [InstanceEnvironment.SignalPollIntervalMs] = "100",
                };
                children.Add((id, ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, $"run-{i}"))));
            }

            // Every instance is mid-run (a few steps checkpointed) when the core goes away.
            foreach (var (id, child) in children)
            {
                await Wait.UntilAsync(
                    () => Task.FromResult(Directory.GetFiles(Path.Combine(counters, id)).Length),
                    n => n >= 3 || child.HasExited,
                    TimeSpan.FromSeconds(60),
                    $"{id} to run 3 steps");
                Assert.False(child.HasExited, child.StandardError);
            }

            await core.DisposeAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.All(children, c => Assert.False(c.Process.HasExited, $"{c.Id} ended during the outage:\n{c.Process.StandardError}"));
            core = await CoreHost.StartAsync(data, ports);

            var expectedSum = Enumerable.Range(0, steps).Sum(i => (long)i * i);
            foreach (var (id, child) in children)
            {
                var exitCode = await child.WaitForExitAsync(TimeSpan.FromSeconds(90));
                Assert.True(exitCode == 0, $"{id}: exit code {exitCode}; stderr:\n{child.StandardError}");
                using var output = JsonDocument.Parse(await File.ReadAllBytesAsync(child.OutputPath));
                Assert.Equal("completed", output.RootElement.GetProperty("status").GetString());
                Assert.Equal(expectedSum, output.RootElement.GetProperty("result").GetProperty("sum").GetInt64());
                var status = (await core.Management.CallAsync(new Mgmt.RpcRequest { GetInstanceStatus = new Mgmt.GetInstanceStatusRequest { InstanceId = id } })).GetInstanceStatus;
                Assert.Equal(Mgmt.InstanceStatus.StatusCompleted, status.Status);
            }
        }
        finally
        {
            foreach (var (_, child) in children)
            {
                child.Dispose();
            }

            await core.DisposeAsync();
        }
    }

    [Fact(Timeout = TestTimeouts.Long)]
    public async Task A_core_unreachable_past_the_tolerance_ends_the_run_as_core_unavailable_with_exit_code_75()
    {
        using var directory = new TempDirectory("runtara-sdk-unreachable");
        var data = Directory.CreateDirectory(Path.Combine(directory.Path, "core")).FullName;

        // A port a core just listened on and nobody listens on now: connections are refused.
        var core = await CoreHost.StartAsync(data);
        var environment = new Dictionary<string, string>
        {
            [InstanceEnvironment.ServerAddress] = core.InstanceAddress,
            [InstanceEnvironment.Transport] = "tcp",
            [InstanceEnvironment.PinnedCertificate] = core.CertificatePath,
            [InstanceEnvironment.InstanceToken] = core.ServiceToken,
            [InstanceEnvironment.InstanceId] = Ids.Instance("unreachable"),
            [InstanceEnvironment.TenantId] = "tenant-unreachable",
            [InstanceEnvironment.CoreUnavailableToleranceMs] = "700",
        };
        await core.DisposeAsync();

        using var child = ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, "run"));
        Assert.Equal(ExitCodes.CoreUnavailable, await child.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var output = InstanceOutput.TryRead(child.OutputPath);
        Assert.NotNull(output);
        Assert.Equal(InstanceOutputStatus.Failed, output.Status);
        Assert.Equal(InstanceOutputReason.CoreUnavailable, output.Reason);
        Assert.True(output.IsCoreUnavailable);
    }
    [SkippableFact]
    public async Task A_process_told_to_use_quic_where_msquic_is_missing_writes_a_failed_output_and_exits_1()
    {
        Skip.If(TransportSupport.IsQuicSupported, "QUIC is available here: the process would connect over it.");
        using var directory = new TempDirectory("runtara-sdk-quic-");
        var environment = new Dictionary<string, string>
        {
            [InstanceEnvironment.InstanceId] = Ids.Instance("quic"),
            [InstanceEnvironment.TenantId] = "tenant-quic",
            [InstanceEnvironment.ServerAddress] = "127.0.0.1:9",
            [InstanceEnvironment.Transport] = "quic",
        };

        using var child = ChildWorkflowProcess.Start(environment, Path.Combine(directory.Path, "run"));

        Assert.Equal(1, await child.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var output = InstanceOutput.TryRead(child.OutputPath);
        Assert.NotNull(output);
        Assert.Equal(InstanceOutputStatus.Failed, output.Status);
        Assert.Contains("RUNTARA_TRANSPORT", child.StandardError, StringComparison.Ordinal);
    }
}

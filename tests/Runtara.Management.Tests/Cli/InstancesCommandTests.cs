using System.Text;
using Runtara.Management.Tests.Client;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;
using ProtoStatus = Runtara.Protocol.Environment.InstanceStatus;

namespace Runtara.Management.Tests.Cli;

/// <summary>`runtara instances logs|list` against a stub environment (issue 14's CLI fixes).</summary>
public sealed class InstancesCommandTests : IAsyncLifetime
{
    private const string ColouredLog = "\u001b[32minfo\u001b[39m: Order o-1: waiting for the \u001b]8;;https://x\u0007approve\u001b]8;;\u0007 signal\n";
    private StubEnvironment _stub = null!;

    public async Task InitializeAsync() => _stub = await StubEnvironment.StartAsync();

    public async Task DisposeAsync() => await _stub.DisposeAsync();

    [Fact]
    public async Task Logs_read_stdout_by_default_and_strip_ansi_escapes()
    {
        _stub.Answer = Log(ColouredLog);

        var (code, output, _) = await RunAsync("instances", "logs", "order-1");

        Assert.Equal(0, code);
        Assert.Equal("stdout", _stub.Requests.Single().GetInstanceLogs.Stream);
        Assert.Equal("info: Order o-1: waiting for the approve signal\n", output);
    }

    [Fact]
    public async Task Logs_keep_ansi_escapes_and_read_stderr_when_asked()
    {
        _stub.Answer = Log(ColouredLog);

        var (code, output, _) = await RunAsync("instances", "logs", "order-1", "--stream", "stderr", "--keep-ansi");

        Assert.Equal(0, code);
        Assert.Equal("stderr", _stub.Requests.Single().GetInstanceLogs.Stream);
        Assert.Equal(ColouredLog, output);
    }

    [Fact]
    public async Task List_shows_image_names_and_suspended_instances_without_a_finish_time()
    {
        _stub.Answer = _ => new RpcResponse
        {
            ListInstances = new ListInstancesResponse
            {
                TotalCount = 2,
                Instances =
                {
                    new InstanceSummary { InstanceId = "order-1", TenantId = "t", ImageId = "0f3c9a7e-image-id", ImageName = "order-workflow", Status = ProtoStatus.StatusSuspended, CreatedAtMs = 1_000 },
                    new InstanceSummary { InstanceId = "old-1", TenantId = "t", ImageId = "legacy-image-id", Status = ProtoStatus.StatusCompleted, CreatedAtMs = 1_000, FinishedAtMs = 2_000 },
                },
            },
        };

        var (code, output, _) = await RunAsync("instances", "list");

        Assert.Equal(0, code);
        var suspended = output.Split('\n').Single(l => l.Contains("order-1", StringComparison.Ordinal));
        Assert.Contains("order-workflow", suspended, StringComparison.Ordinal);
        Assert.DoesNotContain("0f3c9a7e-image-id", output, StringComparison.Ordinal);
        Assert.DoesNotContain("1970-01-01 00:00:02Z", suspended, StringComparison.Ordinal);
        // An environment without image names still shows which image.
        Assert.Contains("legacy-image-id", output.Split('\n').Single(l => l.Contains("old-1", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_shows_what_a_suspended_instance_waits_for_and_its_parent()
    {
        _stub.Answer = _ => new RpcResponse
        {
            GetInstanceStatus = new GetInstanceStatusResponse
            {
                Found = true, InstanceId = "order-1", TenantId = "t", Status = ProtoStatus.StatusSuspended, CreatedAtMs = 1_000, ImageName = "order-workflow",
                WaitingFor = new WaitingFor { SignalNames = { "approve" }, DeadlineMs = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() },
                ParentId = "batch-7",
            },
        };

        var (code, output, _) = await RunAsync("instances", "get", "order-1");

        Assert.Equal(0, code);
        Assert.Equal("order-1", _stub.Requests.Single().GetInstanceStatus.InstanceId);
        Assert.Contains("waiting for signal approve until 2026-12-03T12:00:00Z", Line(output, "waiting"), StringComparison.Ordinal);
        Assert.Contains("batch-7", Line(output, "parent"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_a_running_top_level_instance_has_no_waiting_or_parent_line()
    {
        _stub.Answer = _ => new RpcResponse
        {
            GetInstanceStatus = new GetInstanceStatusResponse { Found = true, InstanceId = "order-1", TenantId = "t", Status = ProtoStatus.StatusRunning, CreatedAtMs = 1_000 },
        };

        var (code, output, _) = await RunAsync("instances", "status", "order-1");

        Assert.Equal(0, code);
        Assert.Contains("running", Line(output, "status"), StringComparison.Ordinal);
        Assert.DoesNotContain(output.Split('\n'), l => l.TrimStart().StartsWith("waiting", StringComparison.Ordinal) || l.TrimStart().StartsWith("parent", StringComparison.Ordinal));
    }

    private static string Line(string output, string label) =>
        Assert.Single(output.Split('\n'), l => l.TrimStart().StartsWith(label, StringComparison.Ordinal));

    private static Func<RpcRequest, RpcReply<RpcResponse>> Log(string text) => _ =>
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return RpcReply<RpcResponse>.Streamed(
            new RpcResponse { GetInstanceLogs = new GetInstanceLogsResponse { Found = true, SizeBytes = (ulong)bytes.Length } },
            async (body, token) => await body.WriteAsync(bytes, token));
    };

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await global::Runtara.Management.Cli.Cli.RunAsync([.. args, .. _stub.CliArguments], output, error);
        return (code, output.ToString(), error.ToString());
    }
}

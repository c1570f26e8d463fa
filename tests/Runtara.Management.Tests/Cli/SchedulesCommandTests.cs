using Runtara.Management.Tests.Client;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;

namespace Runtara.Management.Tests.Cli;

/// <summary>`runtara schedules` options as they reach the wire, and how answers are printed, against a stub environment.</summary>
public sealed class SchedulesCommandTests : IAsyncLifetime
{
    private StubEnvironment _stub = null!;

    public async Task InitializeAsync() => _stub = await StubEnvironment.StartAsync();

    public async Task DisposeAsync() => await _stub.DisposeAsync();

    [Fact]
    public async Task Create_sends_an_interval_in_milliseconds_and_the_policies_by_their_wire_values()
    {
        _stub.Answer = r => new RpcResponse { CreateSchedule = new ScheduleResponse { Schedule = Schedule(r.CreateSchedule.ScheduleId), Created = true } };

        var (code, output, _) = await RunAsync("schedules", "create", "sync", "--image", "sync-image", "--interval", "10m", "--overlap", "buffer-one",
            "--catch-up", "run-all", "--catch-up-limit", "3", "--input", """{"a":1}""");

        Assert.Equal(0, code);
        var sent = _stub.Requests.Single().CreateSchedule;
        Assert.Equal(("sync", "sync-image", 600_000L, false), (sent.ScheduleId, sent.ImageId, sent.IntervalMs, sent.HasCron));
        Assert.Equal((Runtara.Protocol.Environment.ScheduleOverlapPolicy.OverlapBufferOne, Runtara.Protocol.Environment.ScheduleCatchUpPolicy.CatchUpRunAll, 3u), (sent.Overlap, sent.CatchUp, sent.CatchUpLimit));
        Assert.Equal("""{"a":1}""", sent.Input.ToStringUtf8());
        Assert.Contains("2026-12-03 12:05:00Z", Line(output, "next fire"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_sends_a_cron_with_its_time_zone_and_refuses_both_or_neither_timing()
    {
        _stub.Answer = r => new RpcResponse { CreateSchedule = new ScheduleResponse { Schedule = Schedule(r.CreateSchedule.ScheduleId) } };

        var (code, _, _) = await RunAsync("schedules", "create", "am", "--image", "i", "--cron", "30 9 * * 1-5", "--time-zone", "Europe/Berlin");
        var (neither, _, _) = await RunAsync("schedules", "create", "x", "--image", "i");
        var (badOverlap, _, _) = await RunAsync("schedules", "create", "x", "--image", "i", "--cron", "* * * * *", "--overlap", "sometimes");

        Assert.Equal(0, code);
        var sent = _stub.Requests.Single().CreateSchedule;
        Assert.Equal(("30 9 * * 1-5", "Europe/Berlin", false), (sent.Cron, sent.TimeZone, sent.HasIntervalMs));
        Assert.Equal((2, 2), (neither, badOverlap));
    }

    [Fact]
    public async Task List_shows_each_schedule_with_its_next_fire_and_a_missing_one_exits_3()
    {
        _stub.Answer = r => r.RequestCase == RpcRequest.RequestOneofCase.ListSchedules
            ? new RpcResponse { ListSchedules = new ListSchedulesResponse { TotalCount = 1, Schedules = { Schedule("nightly") } } }
            : RpcResponse.FromError(EnvironmentErrorCodes.ScheduleNotFound, "Schedule 'gone' not found");

        var (code, output, _) = await RunAsync("schedules", "list");
        var (missing, _, error) = await RunAsync("schedules", "get", "gone");

        Assert.Equal(0, code);
        Assert.Contains("nightly", output, StringComparison.Ordinal);
        Assert.Contains("2026-12-03 12:05:00Z", output, StringComparison.Ordinal);
        Assert.Equal(3, missing);
        Assert.Contains("SCHEDULE_NOT_FOUND", error, StringComparison.Ordinal);
    }

    private static Schedule Schedule(string id) => new()
    {
        ScheduleId = id,
        TenantId = "t",
        ImageId = "image-1",
        Cron = "0 */5 * * * *",
        NextFireAtMs = new DateTimeOffset(2026, 12, 3, 12, 5, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(),
        CreatedAtMs = 1_000,
        UpdatedAtMs = 1_000,
    };

    private static string Line(string output, string label) =>
        Assert.Single(output.Split('\n'), l => l.TrimStart().StartsWith(label, StringComparison.Ordinal));

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await global::Runtara.Management.Cli.Cli.RunAsync([.. args, .. _stub.CliArguments], output, error);
        return (code, output.ToString(), error.ToString());
    }
}

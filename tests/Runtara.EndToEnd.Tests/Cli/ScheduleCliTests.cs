using System.Text.Json;
using Runtara.EndToEnd.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Cli;

/// <summary>`runtara schedules create|list|get|pause|unpause|trigger|delete` (the real executable) against a running environment.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ScheduleCliTests(PlatformFixture fixture)
{
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task A_schedule_is_created_fires_is_paused_triggered_unpaused_and_deleted_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);
        var scheduleId = $"every-2s-{Guid.NewGuid():N}"[..20];

        var created = Json(await Run(tenant, "schedules", "create", scheduleId, "--image", imageId, "--interval", "2s", "--overlap", "allow-all",
            "--input", """{"input":{"message":"scheduled"}}""", "--output", "json"));
        Assert.Equal(scheduleId, created.GetProperty("scheduleId").GetString());
        Assert.Equal("allow_all", created.GetProperty("overlap").GetString());
        Assert.True(created.TryGetProperty("nextFireAt", out _));

        var list = Json(await Run(tenant, "schedules", "list", "--output", "json"));
        Assert.Equal(1, list.GetProperty("totalCount").GetInt32());
        Assert.Contains(scheduleId, (await Run(tenant, "schedules", "list")).Stdout, StringComparison.Ordinal);

        // The worker fires within a few seconds; the instance id is derived from the schedule and the fire time.
        var fired = await Wait.UntilAsync(
            () => _platform.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant }),
            l => l.Instances.Any(i => i.InstanceId.StartsWith(scheduleId + "-", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "a scheduled instance");
        var firedId = fired.Instances.First(i => i.InstanceId.StartsWith(scheduleId + "-", StringComparison.Ordinal)).InstanceId;
        Assert.Matches($"^{scheduleId}-\\d{{8}}T\\d{{6}}Z$", firedId);
        var done = await _platform.Client.WaitForCompletionAsync(firedId, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(60) }, tenant);
        Assert.Equal(InstanceStatus.Completed, done.Status);

        var paused = Json(await Run(tenant, "schedules", "pause", scheduleId, "--output", "json"));
        Assert.True(paused.GetProperty("paused").GetBoolean());
        Assert.False(paused.TryGetProperty("nextFireAt", out _));
        Assert.Contains("paused", (await Run(tenant, "schedules", "get", scheduleId)).Stdout, StringComparison.Ordinal);

        var triggered = (await Run(tenant, "schedules", "trigger", scheduleId)).Stdout.Trim();
        Assert.StartsWith(scheduleId + "-", triggered, StringComparison.Ordinal);
        var triggeredRun = await _platform.Client.WaitForCompletionAsync(triggered, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(60) }, tenant);
        Assert.Equal("scheduled", triggeredRun.Output!.Value.GetProperty("echo").GetProperty("input").GetProperty("message").GetString());

        var unpaused = Json(await Run(tenant, "schedules", "unpause", scheduleId, "--output", "json"));
        Assert.False(unpaused.GetProperty("paused").GetBoolean());
        Assert.True(unpaused.GetProperty("nextFireAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(-5));

        // Another tenant sees nothing and can change nothing.
        var other = await _platform.RunCliAsync(Ids.Tenant(), "schedules", "get", scheduleId);
        Assert.Equal(3, other.ExitCode);
        Assert.Contains("SCHEDULE_NOT_FOUND", other.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, (await _platform.RunCliAsync(Ids.Tenant(), "schedules", "delete", scheduleId)).ExitCode);

        Assert.Equal($"Deleted: {scheduleId}", (await Run(tenant, "schedules", "delete", scheduleId)).Stdout.Trim());
        var gone = await _platform.RunCliAsync(tenant, "schedules", "get", scheduleId);
        Assert.Equal(3, gone.ExitCode);
        Assert.Contains("SCHEDULE_NOT_FOUND", gone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_refuses_a_bad_cron_and_both_cron_and_interval()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);

        var badCron = await _platform.RunCliAsync(tenant, "schedules", "create", "bad-cron", "--image", imageId, "--cron", "61 * * * *");
        var both = await _platform.RunCliAsync(tenant, "schedules", "create", "both", "--image", imageId, "--cron", "* * * * *", "--interval", "5m");

        Assert.Equal(1, badCron.ExitCode);
        Assert.Contains("INVALID_ARGUMENT", badCron.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
    }

    private async Task<CliResult> Run(string tenant, params string[] arguments)
    {
        var result = await _platform.RunCliAsync(tenant, arguments);
        Assert.True(result.ExitCode == 0, $"runtara {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    private static JsonElement Json(CliResult result) => JsonDocument.Parse(result.Stdout).RootElement.Clone();
}

using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Runtara.Management;

namespace Runtara.Hosting.Tests;

/// <summary>What WithSchedule puts on an image resource (registered in the environment when the image is).</summary>
public sealed class ScheduleModelTests
{
    [Fact]
    public void With_schedule_adds_a_cron_schedule_named_after_the_image_with_skip_policies()
    {
        var builder = DistributedApplication.CreateBuilder();
        var environment = builder.AddRuntaraEnvironment("environment");

        var image = environment.AddImage("report", "report/Report.csproj").WithSchedule("0 */5 * * * *").Resource;

        var schedule = Assert.Single(image.Annotations.OfType<RuntaraScheduleAnnotation>());
        Assert.Equal(new RuntaraScheduleAnnotation("report", "0 */5 * * * *", null, null, ScheduleOverlapPolicy.Skip, ScheduleCatchUpPolicy.Skip, 1), schedule);
        Assert.Equal("cron 0 */5 * * * *", schedule.Description);
    }

    [Fact]
    public void Further_schedules_are_numbered_take_intervals_time_zones_and_policies_and_ids_must_differ()
    {
        var builder = DistributedApplication.CreateBuilder();
        var image = builder.AddRuntaraEnvironment("environment").AddImage("report", "report/Report.csproj")
            .WithSchedule("30 9 * * 1-5", timeZone: "Europe/Berlin")
            .WithSchedule(TimeSpan.FromMinutes(10), overlap: ScheduleOverlapPolicy.BufferOne, catchUp: ScheduleCatchUpPolicy.RunAll, catchUpLimit: 3)
            .WithSchedule("0 0 * * *", scheduleId: "report-midnight");

        var schedules = image.Resource.Annotations.OfType<RuntaraScheduleAnnotation>().ToList();

        Assert.Equal(["report", "report-2", "report-midnight"], schedules.Select(s => s.ScheduleId));
        Assert.Equal("cron 30 9 * * 1-5 (Europe/Berlin)", schedules[0].Description);
        Assert.Equal((TimeSpan.FromMinutes(10), ScheduleOverlapPolicy.BufferOne, ScheduleCatchUpPolicy.RunAll, 3), (schedules[1].Interval!.Value, schedules[1].Overlap, schedules[1].CatchUp, schedules[1].CatchUpLimit));
        Assert.Throws<InvalidOperationException>(() => image.WithSchedule("* * * * *", scheduleId: "report-midnight"));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.WithSchedule(TimeSpan.FromMilliseconds(500)));
    }
}

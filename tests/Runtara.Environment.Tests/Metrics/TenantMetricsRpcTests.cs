using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;

namespace Runtara.Environment.Tests.Metrics;

/// <summary>GetTenantMetrics end to end: real instance processes, the environment's RPC and the management client (SPEC §6.4.16).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class TenantMetricsRpcTests(EnvironmentFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task Finished_instances_are_counted_with_their_measured_duration_and_memory_for_their_tenant_only()
    {
        var tenant = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(tenant);
        var from = DateTimeOffset.UtcNow;
        var completed = await _env.StartTestInstanceAsync(image, tenant, null);
        var failed = await _env.StartTestInstanceAsync(image, tenant, "fail");
        await WaitForExitAsync(completed);
        await WaitForExitAsync(failed);
        var to = DateTimeOffset.UtcNow.AddSeconds(1);

        var hourly = await _env.Client.GetTenantMetricsAsync(tenant, from, to);
        var daily = await _env.Client.GetTenantMetricsAsync(tenant, from, to, MetricsGranularity.Daily);
        var other = await _env.Client.GetTenantMetricsAsync(Ids.Tenant(), from, to);

        Assert.Equal((tenant, from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds(), MetricsGranularity.Hourly),
            (hourly.TenantId, hourly.Start.ToUnixTimeMilliseconds(), hourly.End.ToUnixTimeMilliseconds(), hourly.Granularity));
        Assert.Equal(TruncatedHour(from), hourly.Buckets[0].BucketStart);
        Assert.Equal(TruncatedHour(to), hourly.Buckets[^1].BucketStart);
        Assert.Equal((2L, 1L, 1L, 0L), (hourly.Buckets.Sum(b => b.InvocationCount), hourly.Buckets.Sum(b => b.SuccessCount), hourly.Buckets.Sum(b => b.FailureCount), hourly.Buckets.Sum(b => b.CancelledCount)));
        var day = Assert.Single(daily.Buckets, b => b.InvocationCount > 0);
        Assert.Equal(MetricsGranularity.Daily, daily.Granularity);
        Assert.Equal(new DateTimeOffset(day.BucketStart.UtcDateTime.Date, TimeSpan.Zero), day.BucketStart);
        Assert.Equal(50, day.SuccessRatePercent);
        Assert.InRange(day.MinDurationSeconds!.Value, 0.001, Deadline.TotalSeconds);
        Assert.InRange(day.AvgDurationSeconds!.Value, day.MinDurationSeconds.Value, day.MaxDurationSeconds!.Value);
        Assert.True(day.MaxMemoryBytes > 1024 * 1024, $"peak memory {day.MaxMemoryBytes}");
        Assert.InRange(day.AvgMemoryBytes!.Value, 1, day.MaxMemoryBytes!.Value);
        Assert.All(other.Buckets, b => Assert.Equal((0L, (double?)null), (b.InvocationCount, b.SuccessRatePercent)));
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_a_clear_validation_error()
    {
        var now = DateTimeOffset.UtcNow;

        var noTenant = await Assert.ThrowsAsync<ValidationException>(() => _env.Client.GetTenantMetricsAsync(string.Empty));
        var reversed = await Assert.ThrowsAsync<ValidationException>(() => _env.Client.GetTenantMetricsAsync(Ids.Tenant(), now, now.AddHours(-1)));
        var tooLong = await Assert.ThrowsAsync<ValidationException>(() => _env.Client.GetTenantMetricsAsync(Ids.Tenant(), now.AddYears(-2), now));
        var defaults = await _env.Client.GetTenantMetricsAsync(Ids.Tenant());

        Assert.Equal("Invalid request: tenant_id is required", noTenant.Message);
        Assert.Contains("is after end_time_ms", reversed.Message, StringComparison.Ordinal);
        Assert.Contains("at most 10000 per request", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(24), defaults.End - defaults.Start);
        Assert.Equal(25, defaults.Buckets.Count);
        Assert.True((await _env.Client.HealthAsync()).Healthy);
    }

    private static DateTimeOffset TruncatedHour(DateTimeOffset time) => new(time.UtcDateTime.Date.AddHours(time.UtcDateTime.Hour), TimeSpan.Zero);

    private async Task WaitForExitAsync(string id) =>
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(id), i => i.IsTerminal && i.ExitCode is not null && i.Pid is null, Deadline, $"instance {id}'s process to exit");
}

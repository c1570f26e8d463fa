namespace Runtara.Sdk.Tests.Workflows;

/// <summary>SPEC §18.4 "RetryConfig delays" and §15.5's numbering: the delay before attempt n is base × 2^(n−2).</summary>
public sealed class RetryPolicyTests
{
    [Fact]
    public void Default_is_four_attempts_from_one_second_doubling()
    {
        var policy = RetryPolicy.Default;

        Assert.Equal(4, policy.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), policy.NominalDelay(2));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.NominalDelay(3));
        Assert.Equal(TimeSpan.FromSeconds(4), policy.NominalDelay(4));
    }

    [Fact]
    public void Delays_saturate_at_the_maximum()
    {
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5) };

        Assert.Equal(TimeSpan.FromSeconds(5), policy.NominalDelay(5));
        Assert.Equal(TimeSpan.FromSeconds(5), policy.NominalDelay(2000));
    }

    [Fact]
    public void Jitter_spreads_delays_within_its_bounds_and_zero_jitter_is_exact()
    {
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(1000), Jitter = 0.2 };
        var random = new Random(42);
        var delays = Enumerable.Range(0, 1000).Select(_ => policy.DelayBefore(2, random).TotalMilliseconds).ToList();

        Assert.All(delays, d => Assert.InRange(d, 800, 1200));
        Assert.True(delays.Distinct().Count() > 100, "jitter varies the delay");
        Assert.True(delays.Min() < 850 && delays.Max() > 1150, "jitter uses its whole range");
        Assert.Equal(TimeSpan.FromMilliseconds(2000), (policy with { Jitter = 0 }).DelayBefore(3));
    }

    [Fact]
    public void The_first_attempt_has_no_delay_to_ask_for() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryPolicy.Default.NominalDelay(1));

    [Fact]
    public void ShouldRetry_and_the_attempt_count_decide_whether_to_retry()
    {
        var policy = new RetryPolicy { MaxAttempts = 3, ShouldRetry = e => e is TimeoutException };

        Assert.True(policy.CanRetry(new TimeoutException(), 1));
        Assert.True(policy.CanRetry(new TimeoutException(), 2));
        Assert.False(policy.CanRetry(new TimeoutException(), 3));
        Assert.False(policy.CanRetry(new ArgumentException(), 1));
        Assert.False(RetryPolicy.None.CanRetry(new TimeoutException(), 1));
    }

    [Theory]
    [InlineData(0, 1.0, 2.0, 0.2)]
    [InlineData(3, -1.0, 2.0, 0.2)]
    [InlineData(3, 1.0, 0.5, 0.2)]
    [InlineData(3, 1.0, 2.0, 1.5)]
    public void Invalid_policies_are_reported(int attempts, double initialSeconds, double factor, double jitter)
    {
        var policy = new RetryPolicy { MaxAttempts = attempts, InitialDelay = TimeSpan.FromSeconds(initialSeconds), BackoffFactor = factor, Jitter = jitter };

        Assert.NotNull(policy.Validate());
        var options = new RuntaraInstanceOptions { InstanceId = "i", TenantId = "t", DefaultRetryPolicy = policy };
        Assert.Equal(nameof(RuntaraInstanceOptions.DefaultRetryPolicy), Assert.Throws<RuntaraConfigurationException>(options.Validate).Key);
    }
}

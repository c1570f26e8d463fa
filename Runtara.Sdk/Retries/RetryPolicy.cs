namespace Runtara.Sdk;

/// <summary>
/// How a failing step is retried: up to <see cref="MaxAttempts"/> attempts, waiting before attempt
/// <c>n</c> (n ≥ 2) <c>InitialDelay × BackoffFactor^(n−2)</c>, capped at <see cref="MaxDelay"/> and
/// spread by ±<see cref="Jitter"/> so that many instances retrying together do not hit a dependency
/// in lock-step. Before each retry the SDK records a RetryAttempt with <c>attempt_number = n</c> and
/// the previous attempt's error (SPEC §11, §15.5). Failures are never checkpointed.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>4 attempts (1.4.1's <c>max_retries = 3</c>), 1 s initial delay, doubling, ±20 % jitter, at most 1 min.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>One attempt, no retries.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Total attempts including the first (at least 1).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Delay before the second attempt.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Multiplier applied to the delay for each further attempt (1 = constant).</summary>
    public double BackoffFactor { get; init; } = 2.0;

    /// <summary>Upper bound of one delay (before jitter).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Relative spread of each delay, 0–1: 0.2 draws uniformly from 80 %–120 % of the nominal delay.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>Decides whether an error is worth another attempt (default: every error).</summary>
    public Func<Exception, bool>? ShouldRetry { get; init; }

    /// <summary>A policy of <paramref name="maxAttempts"/> attempts with exponential backoff from <paramref name="initialDelay"/>.</summary>
    public static RetryPolicy Exponential(int maxAttempts, TimeSpan initialDelay, double jitter = 0.2) =>
        new() { MaxAttempts = maxAttempts, InitialDelay = initialDelay, Jitter = jitter };

    /// <summary>
    /// The nominal (jitter-free) delay before attempt <paramref name="attempt"/> (2-based: the delay
    /// before the first retry is <see cref="InitialDelay"/>). Saturates at <see cref="MaxDelay"/>.
    /// </summary>
    public TimeSpan NominalDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 2);
        var factor = Math.Pow(BackoffFactor, attempt - 2);
        var ms = InitialDelay.TotalMilliseconds * factor;
        return double.IsFinite(ms) && ms < MaxDelay.TotalMilliseconds ? TimeSpan.FromMilliseconds(ms) : MaxDelay;
    }

    /// <summary>The delay before attempt <paramref name="attempt"/> with jitter drawn from <paramref name="random"/>.</summary>
    public TimeSpan DelayBefore(int attempt, Random? random = null)
    {
        var nominal = NominalDelay(attempt);
        if (Jitter <= 0)
        {
            return nominal;
        }

        var spread = ((random ?? Random.Shared).NextDouble() * 2) - 1; // [-1, 1)
        return TimeSpan.FromMilliseconds(Math.Max(0, nominal.TotalMilliseconds * (1 + (Jitter * spread))));
    }

    internal bool CanRetry(Exception error, int attemptsMade) =>
        attemptsMade < MaxAttempts && (ShouldRetry?.Invoke(error) ?? true);

    /// <summary>Null when valid; otherwise what is wrong.</summary>
    internal string? Validate() =>
        MaxAttempts < 1 ? "MaxAttempts must be at least 1"
        : InitialDelay < TimeSpan.Zero ? "InitialDelay must not be negative"
        : MaxDelay < TimeSpan.Zero ? "MaxDelay must not be negative"
        : BackoffFactor < 1 || !double.IsFinite(BackoffFactor) ? "BackoffFactor must be at least 1"
        : Jitter is < 0 or > 1 ? "Jitter must be between 0 and 1"
        : null;
}

using System.Globalization;

namespace Runtara.Data;

/// <summary>
/// How long finished instances are kept (docs/operations.md "Retention"), bound from
/// <c>Runtara:Core:Retention</c> in the core and <c>Runtara:Environment:Retention</c> in the environment.
/// A finished instance (completed, failed or cancelled) whose finish time is older than its tenant's
/// period is deleted by a background worker, a batch at a time. A period of zero keeps forever.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>The period of every tenant without its own; default 30 days; <c>00:00:00</c> keeps forever.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Periods of single tenants (key: tenant id), replacing <see cref="Period"/> for them; <c>00:00:00</c> keeps that tenant's instances forever.</summary>
    public Dictionary<string, TimeSpan> TenantPeriods { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often the worker looks for expired instances (default 10 minutes).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most instances deleted in one transaction (default 500); a pass repeats batches until none are left.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>The failures of these settings, each starting with its full key under <paramref name="section"/> (e.g. <c>Runtara:Core:Retention</c>).</summary>
    public IEnumerable<string> Validate(string section)
    {
        if (Period < TimeSpan.Zero)
        {
            yield return $"{section}:Period must not be negative (00:00:00 keeps finished instances forever).";
        }

        foreach (var (tenant, period) in TenantPeriods)
        {
            if (period < TimeSpan.Zero)
            {
                yield return $"{section}:TenantPeriods:{tenant} must not be negative (00:00:00 keeps the tenant's finished instances forever).";
            }
        }

        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
        {
            yield return $"{section}:Interval must be between 00:00:01 and 1.00:00:00.";
        }

        if (BatchSize is < 1 or > 100_000)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{section}:BatchSize must be between 1 and 100000.");
        }
    }

    /// <summary>
    /// The purge passes at <paramref name="now"/>: one for the tenants without a period of their own
    /// (all but those named in <see cref="TenantPeriods"/>), one per tenant with its own; periods of
    /// zero give no pass.
    /// </summary>
    public IReadOnlyList<RetentionPass> Passes(DateTimeOffset now)
    {
        var passes = new List<RetentionPass>();
        if (Period > TimeSpan.Zero)
        {
            passes.Add(new RetentionPass(null, [.. TenantPeriods.Keys.Order(StringComparer.Ordinal)], CutoffMs(now, Period)));
        }

        foreach (var (tenant, period) in TenantPeriods.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (period > TimeSpan.Zero)
            {
                passes.Add(new RetentionPass(tenant, [], CutoffMs(now, period)));
            }
        }

        return passes;
    }

    private static long CutoffMs(DateTimeOffset now, TimeSpan period) =>
        now.ToUnixTimeMilliseconds() - (long)Math.Min(period.TotalMilliseconds, now.ToUnixTimeMilliseconds());
}

/// <summary>
/// One purge pass: instances that finished before <paramref name="FinishedBeforeMs"/> (Unix ms), of
/// <paramref name="TenantId"/> when given, else of every tenant but <paramref name="ExceptTenants"/>.
/// </summary>
public sealed record RetentionPass(string? TenantId, IReadOnlyList<string> ExceptTenants, long FinishedBeforeMs);

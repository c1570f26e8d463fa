using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// The warm-up before a measurement. The benchmark process runs with the runtime's defaults, as the
/// core's own process does: tiered compilation with dynamic PGO, which replaces the hot methods —
/// ours and the framework's ReadyToRun code alike — with optimised, profile-guided code a few seconds
/// into the load. Measuring before that measures tier-0 code and the JIT at work (a third more CPU per
/// checkpoint at concurrency 64). So rounds of the workload repeat until the JIT has compiled (almost)
/// nothing for <see cref="QuietPeriod"/>, which is how a long-running server looks.
/// </summary>
internal static class WarmUp
{
    /// <summary>How long the JIT must have compiled nothing before measuring starts.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(1);

    /// <summary>At most this many methods compiled in a <see cref="QuietPeriod"/> count as quiet.</summary>
    public const int QuietMethods = 10;

    /// <summary>The warm-up ends here even if the JIT never goes quiet.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="round"/> (given its 0-based number) at least <paramref name="minimumRounds"/>
    /// times and until the JIT compiled at most <see cref="QuietMethods"/> methods in a <see cref="QuietPeriod"/>;
    /// no rounds when the minimum is 0.
    /// </summary>
    /// <returns>The row the benchmark's table shows for it.</returns>
    public static async Task<(string Name, string Value)> RunAsync(int minimumRounds, Func<int, Task> round)
    {
        if (minimumRounds <= 0)
        {
            return ("warm-up", "none");
        }

        var clock = Stopwatch.StartNew();
        var windowStart = TimeSpan.Zero;
        var windowCompiled = JitInfo.GetCompiledMethodCount();
        var rounds = 0;
        while (true)
        {
            await round(rounds++);
            if (clock.Elapsed >= Limit)
            {
                break;
            }

            if (clock.Elapsed - windowStart < QuietPeriod)
            {
                continue;
            }

            // A trickle of rarely called methods reaching their tier goes on for long; the hot path is done.
            var compiled = JitInfo.GetCompiledMethodCount();
            if (rounds >= minimumRounds && compiled - windowCompiled <= QuietMethods)
            {
                break;
            }

            windowStart = clock.Elapsed;
            windowCompiled = compiled;
        }

        var seconds = clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        return ("warm-up", $"{rounds} rounds, {seconds} s (until the JIT compiled at most {QuietMethods} methods in {QuietPeriod.TotalSeconds:0} s)");
    }
}

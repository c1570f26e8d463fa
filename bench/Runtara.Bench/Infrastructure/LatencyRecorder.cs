using System.Diagnostics;
using System.Globalization;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// Collects per-operation latencies (one array per worker, no locks on the hot path) and prints the
/// result table followed by the contract line <c>p50_us=.. p99_us=.. per_s=..</c>.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly long[][] _samples;
    private readonly int[] _counts;
    private ProcessUsage? _usage;

    public LatencyRecorder(int workers, int operationsPerWorker)
    {
        _samples = new long[workers][];
        _counts = new int[workers];
        for (var i = 0; i < workers; i++)
        {
            _samples[i] = new long[operationsPerWorker];
        }
    }

    /// <summary>Records one operation of <paramref name="worker"/> that began at <paramref name="startTimestamp"/>.</summary>
    public void Record(int worker, long startTimestamp) =>
        _samples[worker][_counts[worker]++] = Stopwatch.GetTimestamp() - startTimestamp;

    /// <summary>Sets the process's CPU time and allocations over the measured window (see <see cref="ProcessUsage"/>).</summary>
    public void SetUsage(ProcessUsage usage) => _usage = usage;

    /// <summary>Runs <paramref name="workers"/> tasks of <paramref name="perWorker"/> operations each and returns the wall time.</summary>
    public static async Task<(LatencyRecorder Recorder, TimeSpan Elapsed)> RunAsync(
        int workers, int perWorker, Func<int, int, CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        var recorder = new LatencyRecorder(workers, perWorker);
        var usage = ProcessUsage.Now();
        var started = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWorker; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await operation(w, i, cancellationToken).ConfigureAwait(false);
                recorder.Record(w, t);
            }
        }, cancellationToken));
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        recorder.SetUsage(ProcessUsage.Since(usage));
        return (recorder, elapsed);
    }

    public LatencySummary Summarize(TimeSpan elapsed)
    {
        var all = _samples.SelectMany((s, i) => s.Take(_counts[i])).Order().ToArray();
        double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
        double Percentile(double p) => all.Length == 0 ? 0 : Micros(all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)]);
        return new LatencySummary(
            all.Length,
            elapsed,
            Percentile(0.50),
            Percentile(0.90),
            Percentile(0.99),
            all.Length == 0 ? 0 : Micros(all[^1]),
            all.Length == 0 ? 0 : all.Length / elapsed.TotalSeconds,
            _usage is { } usage && all.Length > 0 ? usage.Cpu.TotalMicroseconds / all.Length : null,
            _usage is { } used && all.Length > 0 ? (double)used.AllocatedBytes / all.Length : null);
    }
}

/// <summary>The figures of one run.</summary>
/// <param name="CpuUsPerOperation">CPU time of the whole process per operation over the window (null when not measured).</param>
/// <param name="AllocatedBytesPerOperation">Managed bytes allocated by the whole process per operation over the window (null when not measured).</param>
internal sealed record LatencySummary(
    int Count, TimeSpan Elapsed, double P50Us, double P90Us, double P99Us, double MaxUs, double PerSecond, double? CpuUsPerOperation = null, double? AllocatedBytesPerOperation = null)
{
    /// <summary>Prints a table of <paramref name="settings"/> and the figures, then the contract line (with <paramref name="contractExtra"/>, e.g. <c>rss_mib=..</c>, at its end).</summary>
    public void Print(string title, IEnumerable<(string Name, string Value)> settings, string? contractExtra = null)
    {
        var rows = settings.Concat(
        [
            ("operations", Count.ToString("N0", CultureInfo.InvariantCulture)),
            ("elapsed", $"{Elapsed.TotalSeconds:0.000} s"),
            ("throughput", $"{PerSecond:N0} /s"),
            ("p50", $"{P50Us:0.0} us"),
            ("p90", $"{P90Us:0.0} us"),
            ("p99", $"{P99Us:0.0} us"),
            ("max", $"{MaxUs:0.0} us"),
        ]).ToList();
        if (CpuUsPerOperation is { } cpu)
        {
            rows.Add(("cpu/op (process)", string.Create(CultureInfo.InvariantCulture, $"{cpu:0.0} us")));
        }

        if (AllocatedBytesPerOperation is { } allocated)
        {
            rows.Add(("allocated/op (process)", string.Create(CultureInfo.InvariantCulture, $"{allocated:N0} B")));
        }

        var width = rows.Max(r => r.Item1.Length);
        var valueWidth = rows.Max(r => r.Item2.Length);
        Console.WriteLine(title);
        Console.WriteLine($"+-{new string('-', width)}-+-{new string('-', valueWidth)}-+");
        foreach (var (name, value) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name.PadRight(width)} | {value.PadLeft(valueWidth)} |"));
        }

        Console.WriteLine($"+-{new string('-', width)}-+-{new string('-', valueWidth)}-+");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p50_us={P50Us:0} p99_us={P99Us:0} per_s={PerSecond:0}{(contractExtra is null ? string.Empty : " " + contractExtra)}"));
    }
}

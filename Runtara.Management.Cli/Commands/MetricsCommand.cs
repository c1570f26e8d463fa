using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Runtara.Management.Cli.Commands;

internal static class MetricsCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start of the window, ISO 8601 (default: 24 hours before --to)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End of the window, exclusive, ISO 8601 (default: now)" };
        var granularity = new Option<MetricsGranularity>("--granularity") { Description = "hourly or daily buckets (UTC)", DefaultValueFactory = _ => MetricsGranularity.Hourly };
        var command = new Command("metrics", "Per-hour or per-day counts, durations and memory of the tenant's finished instances") { from, to, granularity };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var metrics = await client.GetTenantMetricsAsync(null, result.GetValue(from), result.GetValue(to), result.GetValue(granularity), ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(metrics);
                return Cli.Success;
            }

            var table = new Table().AddColumns("BUCKET", "RUNS", "OK", "FAILED", "CANCELLED", "SUCCESS", "AVG", "MIN", "MAX", "AVG MEM", "MAX MEM");
            foreach (var b in metrics.Buckets)
            {
                table.AddRow(Format.Time(b.BucketStart), Count(b.InvocationCount), Count(b.SuccessCount), Count(b.FailureCount), Count(b.CancelledCount),
                    b.SuccessRatePercent is { } rate ? string.Create(CultureInfo.InvariantCulture, $"{rate:0.#}%") : "-",
                    Seconds(b.AvgDurationSeconds), Seconds(b.MinDurationSeconds), Seconds(b.MaxDurationSeconds),
                    b.AvgMemoryBytes is { } avg ? Format.Bytes(avg) : "-", b.MaxMemoryBytes is { } max ? Format.Bytes(max) : "-");
            }

            console.Ansi.Write(table);
            await console.Out.WriteLineAsync(
                $"{metrics.Buckets.Sum(b => b.InvocationCount)} finished instance(s) of tenant {metrics.TenantId} in {metrics.Buckets.Count} {metrics.Granularity.ToString().ToLowerInvariant()} bucket(s), {Format.Time(metrics.Start)} to {Format.Time(metrics.End)}");
            return Cli.Success;
        }));
        return command;
    }

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(double? seconds) => seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:0.###}s") : "-";
}

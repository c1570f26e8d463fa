using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Runtara.Management.Cli.Commands;

/// <summary><c>runtara schedules create|list|get|pause|unpause|trigger|delete</c> (docs/operations.md "Schedules").</summary>
internal static class SchedulesCommand
{
    private static readonly string[] OverlapNames = ["skip", "buffer-one", "allow-all"];
    private static readonly string[] CatchUpNames = ["skip", "run-once", "run-all"];

    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var schedules = new Command("schedules", "Create, list, show, pause, unpause, trigger and delete schedules (cron or interval starts of an image)");
        schedules.Subcommands.Add(Create(globals, console));
        schedules.Subcommands.Add(List(globals, console));
        schedules.Subcommands.Add(Get(globals, console));
        schedules.Subcommands.Add(Change("pause", "Stop a schedule firing", globals, console, (client, id, ct) => client.PauseScheduleAsync(id, cancellationToken: ct)));
        schedules.Subcommands.Add(Change("unpause", "Fire again from the next fire time after now (the paused time is not caught up)", globals, console, (client, id, ct) => client.UnpauseScheduleAsync(id, cancellationToken: ct)));
        schedules.Subcommands.Add(Trigger(globals, console));
        schedules.Subcommands.Add(Delete(globals, console));
        return schedules;
    }

    private static Command Create(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("schedule-id") { Description = "The schedule's id; the instances it starts are <schedule-id>-<yyyyMMddTHHmmssZ>" };
        var image = new Option<string>("--image", "-i") { Description = "Image id or name", Required = true };
        var cron = new Option<string?>("--cron") { Description = "Cron expression, 5 fields or 6 with seconds first (\"0 */5 * * * *\")" };
        var timeZone = new Option<string?>("--time-zone") { Description = "Time zone of the cron expression (e.g. Europe/Berlin); default UTC" };
        var interval = new Option<string?>("--interval") { Description = "Fixed interval instead of cron: 30s, 5m, 2h, 1d or hh:mm:ss" };
        var input = new Option<string?>("--input") { Description = "JSON input of every instance (default {})" };
        var overlap = new Option<string>("--overlap") { Description = "While the previous instance runs: skip, buffer-one or allow-all", DefaultValueFactory = _ => "skip" };
        overlap.AcceptOnlyFromAmong(OverlapNames);
        var catchUp = new Option<string>("--catch-up") { Description = "Fires missed during downtime: skip, run-once or run-all (up to --catch-up-limit)", DefaultValueFactory = _ => "skip" };
        catchUp.AcceptOnlyFromAmong(CatchUpNames);
        var limit = new Option<int>("--catch-up-limit") { Description = "run-all: most missed fires started", DefaultValueFactory = _ => 1 };
        var paused = new Option<bool>("--paused") { Description = "Create it paused" };
        var command = new Command("create", "Create a schedule, or replace the definition of one of that id (its next fire is kept when the timing is unchanged)")
        {
            id, image, cron, timeZone, interval, input, overlap, catchUp, limit, paused,
        };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            if (result.GetValue(cron) is null == result.GetValue(interval) is null)
            {
                throw new UsageException("give exactly one of --cron and --interval");
            }

            var schedule = await client.CreateScheduleAsync(new CreateScheduleOptions
            {
                ScheduleId = result.GetValue(id)!,
                Image = result.GetValue(image)!,
                Cron = result.GetValue(cron),
                TimeZone = result.GetValue(timeZone),
                Interval = result.GetValue(interval) is { } text ? ParseInterval(text) : null,
                Input = result.GetValue(input),
                Overlap = (ScheduleOverlapPolicy)Array.IndexOf(OverlapNames, result.GetValue(overlap)),
                CatchUp = (ScheduleCatchUpPolicy)Array.IndexOf(CatchUpNames, result.GetValue(catchUp)),
                CatchUpLimit = result.GetValue(limit),
                Paused = result.GetValue(paused),
            }, ct);
            await WriteAsync(console, result, globals, schedule);
            return Cli.Success;
        }));
        return command;
    }

    private static Command List(GlobalOptions globals, CliConsole console)
    {
        var limit = new Option<int>("--limit") { Description = "Page size", DefaultValueFactory = _ => 100 };
        var offset = new Option<int>("--offset") { Description = "Rows to skip", DefaultValueFactory = _ => 0 };
        var command = new Command("list", "List the tenant's schedules with their next fire times") { limit, offset };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var list = await client.ListSchedulesAsync(limit: result.GetValue(limit), offset: result.GetValue(offset), cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(list);
                return Cli.Success;
            }

            var table = new Table().AddColumns("SCHEDULE ID", "WHEN", "IMAGE", "STATE", "NEXT FIRE", "LAST INSTANCE");
            foreach (var s in list.Schedules)
            {
                table.AddRow(Markup.Escape(s.ScheduleId), Markup.Escape(When(s)), Markup.Escape(s.ImageId), s.Paused ? "paused" : "active", Format.Time(s.NextFireAt), Markup.Escape(s.LastInstanceId ?? "-"));
            }

            console.Ansi.Write(table);
            await console.Out.WriteLineAsync($"{list.Schedules.Count} of {list.TotalCount} schedule(s)");
            return Cli.Success;
        }));
        return command;
    }

    private static Command Get(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("schedule-id");
        var command = new Command("get", "Show one schedule") { id };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            await WriteAsync(console, result, globals, await client.GetScheduleAsync(result.GetValue(id)!, cancellationToken: ct));
            return Cli.Success;
        }));
        return command;
    }

    private static Command Change(string name, string description, GlobalOptions globals, CliConsole console, Func<RuntaraManagementClient, string, CancellationToken, Task<ScheduleInfo>> change)
    {
        var id = new Argument<string>("schedule-id");
        var command = new Command(name, description) { id };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            await WriteAsync(console, result, globals, await change(client, result.GetValue(id)!, ct));
            return Cli.Success;
        }));
        return command;
    }

    private static Command Trigger(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("schedule-id");
        var command = new Command("trigger", "Start the schedule's instance now (also when paused); prints its id") { id };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var triggered = await client.TriggerScheduleAsync(result.GetValue(id)!, cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(triggered);
            }
            else
            {
                await console.Out.WriteLineAsync(triggered.InstanceId);
            }

            return Cli.Success;
        }));
        return command;
    }

    private static Command Delete(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("schedule-id");
        var command = new Command("delete", "Delete a schedule (instances it started are kept)") { id };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var scheduleId = result.GetValue(id)!;
            await client.DeleteScheduleAsync(scheduleId, cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(new { deleted = scheduleId });
            }
            else
            {
                await console.Out.WriteLineAsync($"Deleted: {scheduleId}");
            }

            return Cli.Success;
        }));
        return command;
    }

    private static async Task WriteAsync(CliConsole console, ParseResult result, GlobalOptions globals, ScheduleInfo s)
    {
        if (result.GetValue(globals.Output) == OutputFormat.Json)
        {
            console.WriteJson(s);
            return;
        }

        var grid = new Grid().AddColumns(2);
        grid.AddRow("schedule id", Markup.Escape(s.ScheduleId));
        grid.AddRow("tenant", Markup.Escape(s.TenantId));
        grid.AddRow("image", Markup.Escape(s.ImageId));
        grid.AddRow("when", Markup.Escape(When(s)));
        grid.AddRow("overlap", OverlapNames[(int)s.Overlap]);
        grid.AddRow("catch-up", s.CatchUp == ScheduleCatchUpPolicy.RunAll ? $"run-all (up to {s.CatchUpLimit})" : CatchUpNames[(int)s.CatchUp]);
        grid.AddRow("state", s.Paused ? "paused" : "active");
        grid.AddRow("next fire", Format.Time(s.NextFireAt));
        grid.AddRow("last fire", Format.Time(s.LastFireAt));
        grid.AddRow("last instance", Markup.Escape(s.LastInstanceId ?? "-"));
        grid.AddRow("input", Markup.Escape(s.Input));
        console.Ansi.Write(grid);
        await console.Out.FlushAsync();
    }

    private static string When(ScheduleInfo s) =>
        s.Cron is { } cron ? $"cron {cron}{(s.TimeZone.Length > 0 ? $" ({s.TimeZone})" : string.Empty)}" : $"every {s.Interval}";

    /// <summary>30s, 5m, 2h, 1d, or a TimeSpan (hh:mm:ss).</summary>
    private static TimeSpan ParseInterval(string text)
    {
        var units = new Dictionary<char, TimeSpan> { ['s'] = TimeSpan.FromSeconds(1), ['m'] = TimeSpan.FromMinutes(1), ['h'] = TimeSpan.FromHours(1), ['d'] = TimeSpan.FromDays(1) };
        if (text.Length > 1 && units.TryGetValue(text[^1], out var unit) && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return unit * count;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new UsageException($"--interval '{text}' is not an interval (30s, 5m, 2h, 1d or hh:mm:ss)");
    }
}

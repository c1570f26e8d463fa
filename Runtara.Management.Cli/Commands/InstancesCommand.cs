using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Runtara.Protocol.Contracts;
using Spectre.Console;

namespace Runtara.Management.Cli.Commands;

internal static class InstancesCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var instances = new Command("instances", "Start, stop, resume, inspect and list instances");
        instances.Subcommands.Add(Start(globals, console));
        instances.Subcommands.Add(Stop(globals, console));
        instances.Subcommands.Add(Resume(globals, console));
        instances.Subcommands.Add(Status(globals, console));
        instances.Subcommands.Add(List(globals, console));
        instances.Subcommands.Add(Logs(globals, console));
        instances.Subcommands.Add(Retries(globals, console));
        instances.Subcommands.Add(Wait(globals, console));
        instances.Subcommands.Add(ForkCommands.Rerun(globals, console));
        instances.Subcommands.Add(ForkCommands.Fork(globals, console));
        instances.Subcommands.Add(InstanceDeleteCommand.Build(globals, console));
        return instances;
    }

    private static Command Start(GlobalOptions globals, CliConsole console)
    {
        var image = new Option<string>("--image", "-i") { Description = "Image id", Required = true };
        var input = new Option<string?>("--input") { Description = "JSON input" };
        var inputFile = new Option<FileInfo?>("--input-file") { Description = "File with the JSON input" };
        var instanceId = new Option<string?>("--instance-id") { Description = "Instance id (default: a new UUID); starting it again with the same image returns it" };
        var timeout = new Option<uint?>("--timeout") { Description = "Execution timeout in seconds (default 300)" };
        var retries = new Option<uint?>("--max-retries") { Description = "Relaunches after a crash or heartbeat timeout" };
        var imageVersion = new Option<int?>("--image-version") { Description = "Start on this version of the image (default: the newest; see `images versions`)" };
        var env = new Option<string[]>("--env", "-e") { Description = "Extra environment variable NAME=VALUE (repeatable; cannot override RUNTARA_*)", AllowMultipleArgumentsPerToken = false };
        var wait = new Option<bool>("--wait") { Description = "Wait until the instance finishes and print its status" };
        var waitTimeout = new Option<int>("--wait-timeout") { Description = "Seconds --wait waits", DefaultValueFactory = _ => 600 };
        var command = new Command("start", "Start an instance of an image") { image, imageVersion, input, inputFile, instanceId, timeout, retries, env, wait, waitTimeout };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var json = result.GetValue(input);
            if (result.GetValue(inputFile) is { } file)
            {
                json = json is null ? await File.ReadAllTextAsync(file.FullName, ct) : throw new UsageException("give --input or --input-file, not both");
            }

            if (!string.IsNullOrEmpty(json))
            {
                try
                {
                    using var document = JsonDocument.Parse(json);
                }
                catch (JsonException ex)
                {
                    throw new UsageException($"--input is not valid JSON: {ex.Message}");
                }
            }

            var options = new StartInstanceOptions
            {
                ImageId = result.GetValue(image)!,
                InstanceId = result.GetValue(instanceId),
                Input = json,
                TimeoutSeconds = result.GetValue(timeout),
                MaxRetries = result.GetValue(retries),
                ImageVersion = result.GetValue(imageVersion),
            };
            foreach (var pair in result.GetValue(env) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"--env '{pair}' must be NAME=VALUE");
                }

                options.Environment[pair[..equals]] = pair[(equals + 1)..];
            }

            var id = await client.StartInstanceAsync(options, ct);
            if (result.GetValue(wait))
            {
                var info = await client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(result.GetValue(waitTimeout)) }, cancellationToken: ct);
                return await PrintStatusAsync(console, result.GetValue(globals.Output), info);
            }

            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(new { instanceId = id });
            }
            else
            {
                await console.Out.WriteLineAsync(id);
            }

            return Cli.Success;
        }));
        return command;
    }

    private static Command Stop(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id");
        var grace = new Option<int>("--grace") { Description = "Seconds the instance gets to stop after the cancel signal, before SIGTERM and SIGKILL", DefaultValueFactory = _ => 5 };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded as the error)" };
        var command = new Command("stop", "Stop an instance (cancel signal, then SIGTERM, then SIGKILL)") { id, grace, reason };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var instanceId = result.GetValue(id)!;
            await client.StopInstanceAsync(instanceId, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(Math.Max(1, result.GetValue(grace))), Reason = result.GetValue(reason) ?? "Stopped with runtara CLI" }, cancellationToken: ct);
            return await DoneAsync(console, result.GetValue(globals.Output), "Stopped", instanceId);
        }));
        return command;
    }

    private static Command Resume(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id");
        var command = new Command("resume", "Relaunch a suspended instance from its last checkpoint") { id };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var instanceId = result.GetValue(id)!;
            await client.ResumeInstanceAsync(instanceId, cancellationToken: ct);
            return await DoneAsync(console, result.GetValue(globals.Output), "Resumed", instanceId);
        }));
        return command;
    }

    private static Command Status(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id");
        var command = new Command("status", "Show an instance's status, what it waits for, output, error and resource use (alias: get)") { id };
        command.Aliases.Add("get");
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
            await PrintStatusAsync(console, result.GetValue(globals.Output), await client.GetInstanceAsync(result.GetValue(id)!, cancellationToken: ct))));
        return command;
    }

    private static Command Wait(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id");
        var poll = new Option<int>("--poll") { Description = "Poll interval in ms", DefaultValueFactory = _ => 500 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait before giving up", DefaultValueFactory = _ => 600 };
        var suspended = new Option<bool>("--until-suspended") { Description = "Also stop waiting when the instance is suspended" };
        var command = new Command("wait", "Wait until an instance finishes and print its status") { id, poll, timeout, suspended };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var info = await client.WaitForCompletionAsync(result.GetValue(id)!, new WaitOptions
            {
                PollInterval = TimeSpan.FromMilliseconds(Math.Max(10, result.GetValue(poll))),
                Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
                ReturnWhenSuspended = result.GetValue(suspended),
            }, cancellationToken: ct);
            return await PrintStatusAsync(console, result.GetValue(globals.Output), info);
        }));
        return command;
    }

    private static Command List(GlobalOptions globals, CliConsole console)
    {
        var status = new Option<InstanceStatus?>("--status") { Description = "Only instances in this status" };
        var image = new Option<string?>("--image") { Description = "Only instances of this image id" };
        var prefix = new Option<string?>("--image-prefix") { Description = "Only instances whose image name starts with this" };
        var order = new Option<InstanceOrder>("--order") { Description = "CreatedAtDesc (default), CreatedAtAsc, FinishedAtDesc, FinishedAtAsc", DefaultValueFactory = _ => InstanceOrder.CreatedAtDesc };
        var limit = new Option<int>("--limit") { Description = "Page size", DefaultValueFactory = _ => 100 };
        var offset = new Option<int>("--offset") { Description = "Rows to skip", DefaultValueFactory = _ => 0 };
        var command = new Command("list", "List instances") { status, image, prefix, order, limit, offset };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var list = await client.ListInstancesAsync(new ListInstancesOptions
            {
                Status = result.GetValue(status),
                ImageId = result.GetValue(image),
                ImageNamePrefix = result.GetValue(prefix),
                Order = result.GetValue(order),
                Limit = result.GetValue(limit),
                Offset = result.GetValue(offset),
            }, ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(list);
                return Cli.Success;
            }

            var table = new Table().AddColumns("INSTANCE ID", "TENANT", "IMAGE", "STATUS", "CREATED", "FINISHED");
            foreach (var i in list.Instances)
            {
                // The name is what people registered; an older environment sends only the id.
                table.AddRow(Markup.Escape(i.InstanceId), Markup.Escape(i.TenantId), Markup.Escape(i.ImageName is { Length: > 0 } name ? name : i.ImageId), Format.Status(i.Status), Format.Time(i.CreatedAt), Format.Time(i.FinishedAt));
            }

            console.Ansi.Write(table);
            await console.Out.WriteLineAsync($"{list.Instances.Count} of {list.TotalCount} instance(s)");
            return Cli.Success;
        }));
        return command;
    }

    private static Command Logs(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id");
        // The SDK's console logger writes the instance log to stdout; stderr holds crashes and runtime errors.
        var stream = new Option<string>("--stream") { Description = "stdout (default: the instance log) or stderr", DefaultValueFactory = _ => "stdout" };
        stream.AcceptOnlyFromAmong("stdout", "stderr");
        var tail = new Option<long>("--tail") { Description = "Only the last N bytes", DefaultValueFactory = _ => 0 };
        var keepAnsi = new Option<bool>("--keep-ansi") { Description = "Print ANSI escape sequences (colours) as captured instead of removing them" };
        var command = new Command("logs", "Print an instance's captured stdout (its log) or stderr") { id, stream, tail, keepAnsi };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            using var buffer = new MemoryStream();
            var found = await client.GetLogsAsync(result.GetValue(id)!, buffer, result.GetValue(stream)!, result.GetValue(tail), cancellationToken: ct);
            if (!found)
            {
                await console.Error.WriteLineAsync($"No {result.GetValue(stream)} captured for this instance.");
                return Cli.Success;
            }

            var text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            await console.Out.WriteAsync(result.GetValue(keepAnsi) ? text : Format.StripAnsi(text));
            await console.Out.FlushAsync(ct);
            return Cli.Success;
        }));
        return command;
    }

    private static Command Retries(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id");
        var key = new Option<string?>("--checkpoint") { Description = "Only the attempts of this step key" };
        var limit = new Option<int>("--limit") { Description = "Page size", DefaultValueFactory = _ => 100 };
        var offset = new Option<int>("--offset") { Description = "Rows to skip", DefaultValueFactory = _ => 0 };
        var command = new Command("retries", "List the retry attempts an instance recorded, by step key then attempt") { id, key, limit, offset };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var page = await client.ListRetryAttemptsAsync(result.GetValue(id)!, result.GetValue(key), result.GetValue(limit), result.GetValue(offset), cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(page);
                return Cli.Success;
            }

            var table = new Table().AddColumns("CHECKPOINT", "ATTEMPT", "RECORDED", "ERROR");
            foreach (var a in page.Attempts)
            {
                table.AddRow(Markup.Escape(a.CheckpointId), a.AttemptNumber.ToString(CultureInfo.InvariantCulture), Format.Time(a.CreatedAt), Markup.Escape(a.ErrorMessage ?? "-"));
            }

            console.Ansi.Write(table);
            await console.Out.WriteLineAsync($"{page.Attempts.Count} of {page.TotalCount} retry attempt(s)");
            return Cli.Success;
        }));
        return command;
    }

    internal static async Task<int> DoneAsync(CliConsole console, OutputFormat output, string verb, string instanceId)
    {
        if (output == OutputFormat.Json)
        {
            console.WriteJson(new { instanceId, result = verb.ToLowerInvariant() });
        }
        else
        {
            await console.Out.WriteLineAsync($"{verb}: {instanceId}");
        }

        return Cli.Success;
    }

    private static async Task<int> PrintStatusAsync(CliConsole console, OutputFormat output, InstanceInfo info)
    {
        if (output == OutputFormat.Json)
        {
            console.WriteJson(info);
            return Cli.Success;
        }

        var grid = new Grid().AddColumns(2);
        grid.AddRow("instance id", Markup.Escape(info.InstanceId));
        grid.AddRow("tenant", Markup.Escape(info.TenantId));
        grid.AddRow("status", Format.Status(info.Status));
        if (info.DescribeWait() is { } wait)
        {
            grid.AddRow("waiting", Markup.Escape(wait));
        }

        if (info.ParentId is { } parent)
        {
            grid.AddRow("parent", Markup.Escape(parent));
        }

        grid.AddRow("image", string.Create(CultureInfo.InvariantCulture, $"{Markup.Escape(info.ImageName)} version {info.ImageVersion} ({info.ImageId})"));
        if (info.Origin is { } origin)
        {
            grid.AddRow("origin", Markup.Escape(origin));
        }
        grid.AddRow("checkpoint", Markup.Escape(info.CheckpointId ?? "-"));
        grid.AddRow("created", Format.Time(info.CreatedAt));
        grid.AddRow("started", Format.Time(info.StartedAt));
        grid.AddRow("finished", Format.Time(info.FinishedAt));
        grid.AddRow("last activity", Format.Time(info.LastActivityAt));
        if (info.WakeAt is not null && info.WaitingFor is null)
        {
            grid.AddRow("wakes at", Format.Time(info.WakeAt));
        }

        grid.AddRow("retries", string.Create(CultureInfo.InvariantCulture, $"{info.RetryCount}/{info.MaxRetries} (launches: {info.LaunchCount})"));
        grid.AddRow("exit code", info.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-");
        grid.AddRow("peak memory", info.MemoryPeakBytes is { } m ? Format.Bytes(m) : "-");
        grid.AddRow("cpu time", info.CpuUsageUsec is { } c ? string.Create(CultureInfo.InvariantCulture, $"{c / 1000.0:0.#} ms") : "-");
        grid.AddRow("output", Markup.Escape(info.Output?.GetRawText() ?? "-"));
        grid.AddRow("error", Markup.Escape(info.Error ?? "-"));
        console.Ansi.Write(grid);
        if (!string.IsNullOrEmpty(info.Stderr) && info.Status == InstanceStatus.Failed)
        {
            await console.Out.WriteLineAsync("stderr (tail):");
            await console.Out.WriteLineAsync(info.Stderr.TrimEnd());
        }

        return info.Status == InstanceStatus.Failed ? Cli.Failure : Cli.Success;
    }
}

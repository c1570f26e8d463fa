using System.CommandLine;
using System.Text;
using Spectre.Console;

namespace Runtara.Management.Cli.Commands;

internal static class CheckpointsCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var checkpoints = new Command("checkpoints", "List and read an instance's checkpoints");

        var listInstance = new Argument<string>("instance-id");
        var limit = new Option<int>("--limit") { Description = "Page size", DefaultValueFactory = _ => 100 };
        var offset = new Option<int>("--offset") { Description = "Rows to skip", DefaultValueFactory = _ => 0 };
        var list = new Command("list", "List checkpoints, newest first") { listInstance, limit, offset };
        list.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var page = await client.ListCheckpointsAsync(result.GetValue(listInstance)!, result.GetValue(limit), result.GetValue(offset), cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(page);
                return Cli.Success;
            }

            var table = new Table().AddColumns("CHECKPOINT", "CREATED", "SIZE");
            foreach (var c in page.Checkpoints)
            {
                table.AddRow(Markup.Escape(c.CheckpointId), Format.Time(c.CreatedAt), Format.Bytes(c.SizeBytes));
            }

            console.Ansi.Write(table);
            await console.Out.WriteLineAsync($"{page.Checkpoints.Count} of {page.TotalCount} checkpoint(s)");
            return Cli.Success;
        }));

        var getInstance = new Argument<string>("instance-id");
        var checkpoint = new Argument<string>("checkpoint-id");
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the raw state to this file" };
        var get = new Command("get", "Print one checkpoint's state") { getInstance, checkpoint, outFile };
        get.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var data = await client.GetCheckpointAsync(result.GetValue(getInstance)!, result.GetValue(checkpoint)!, cancellationToken: ct);
            if (result.GetValue(outFile) is { } file)
            {
                await File.WriteAllBytesAsync(file.FullName, data.Data, ct);
            }

            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(new { data.CheckpointId, data.InstanceId, data.CreatedAt, sizeBytes = data.Data.Length, state = Encoding.UTF8.GetString(data.Data), stateBase64 = Convert.ToBase64String(data.Data) });
            }
            else if (result.GetValue(outFile) is null)
            {
                await console.Out.WriteLineAsync(Encoding.UTF8.GetString(data.Data));
            }

            return Cli.Success;
        }));

        checkpoints.Subcommands.Add(list);
        checkpoints.Subcommands.Add(get);
        return checkpoints;
    }
}

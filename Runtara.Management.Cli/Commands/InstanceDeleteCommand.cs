using System.CommandLine;

namespace Runtara.Management.Cli.Commands;

/// <summary><c>runtara instances delete &lt;id&gt;</c>: deletes one finished instance now (docs/operations.md "Retention").</summary>
internal static class InstanceDeleteCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id");
        var command = new Command("delete", "Delete a finished instance now: its checkpoints, events, signals, retry records, run directory and logs") { id };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var instanceId = result.GetValue(id)!;
            await client.DeleteInstanceAsync(instanceId, cancellationToken: ct);
            return await InstancesCommand.DoneAsync(console, result.GetValue(globals.Output), "Deleted", instanceId);
        }));
        return command;
    }
}

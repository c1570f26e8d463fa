using System.CommandLine;

namespace Runtara.Management.Cli.Commands;

/// <summary><c>instances rerun</c> and <c>instances fork</c> (docs/operations.md, "Re-run and fork"): both print the new instance's id.</summary>
internal static class ForkCommands
{
    public static Command Rerun(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id") { Description = "A FAILED or CANCELLED instance" };
        var (newId, version) = Options();
        var command = new Command("rerun", "Run a failed or cancelled instance again from its last successful step, as a new instance (completed steps replay from their checkpoints)") { id, newId, version };
        command.SetAction(CliConsole.Action(globals, console, (result, client, ct) =>
            PrintAsync(console, result.GetValue(globals.Output), client.RerunInstanceAsync(result.GetValue(id)!, Read(result, newId, version), ct))));
        return command;
    }

    public static Command Fork(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("instance-id") { Description = "The instance to fork (any status)" };
        var from = new Option<string>("--from") { Description = "The checkpoint to fork at: it and the ones saved before it are copied, later ones are not (see `checkpoints list`)", Required = true };
        var (newId, version) = Options();
        var command = new Command("fork", "Start a new instance of the same image and input that replays this instance's checkpoints up to --from and runs on from there") { id, from, newId, version };
        command.SetAction(CliConsole.Action(globals, console, (result, client, ct) =>
            PrintAsync(console, result.GetValue(globals.Output), client.ForkInstanceAsync(result.GetValue(id)!, result.GetValue(from)!, Read(result, newId, version), ct))));
        return command;
    }

    private static (Option<string?> NewId, Option<int?> Version) Options() =>
        (new Option<string?>("--instance-id") { Description = "The new instance's id (default: a new UUID); asking again with the same id returns it" },
         new Option<int?>("--image-version") { Description = "The image version to run (default: the newest, e.g. the one with the fix)" });

    private static ForkOptions Read(ParseResult result, Option<string?> newId, Option<int?> version) =>
        new() { NewInstanceId = result.GetValue(newId), ImageVersion = result.GetValue(version) };

    private static async Task<int> PrintAsync(CliConsole console, OutputFormat output, Task<ForkResult> forking)
    {
        var forked = await forking;
        if (output == OutputFormat.Json)
        {
            console.WriteJson(forked);
        }
        else
        {
            await console.Out.WriteLineAsync(forked.InstanceId);
        }

        return Cli.Success;
    }
}

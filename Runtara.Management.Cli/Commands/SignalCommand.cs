using System.CommandLine;
using System.Text;

namespace Runtara.Management.Cli.Commands;

/// <summary><c>runtara signal &lt;instance&gt; cancel|pause|resume</c> and <c>runtara signal &lt;instance&gt; custom &lt;checkpoint&gt; &lt;payload&gt;</c>.</summary>
internal static class SignalCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var instance = new Argument<string>("instance-id");
        var kind = new Argument<string>("signal") { Description = "cancel, pause, resume or custom" };
        kind.AcceptOnlyFromAmong("cancel", "pause", "resume", "custom");
        var rest = new Argument<string[]>("custom-arguments") { Description = "custom: <checkpoint-id> <payload>", Arity = new ArgumentArity(0, 2) };
        var reason = new Option<string?>("--reason") { Description = "cancel: reason given to the instance" };
        var command = new Command("signal", "Send a signal to an instance: cancel | pause | resume (relaunch) | custom <checkpoint> <payload>") { instance, kind, rest, reason };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var instanceId = result.GetValue(instance)!;
            var extra = result.GetValue(rest) ?? [];
            var signal = result.GetValue(kind)!;
            if (signal != "custom" && extra.Length > 0)
            {
                throw new UsageException($"'{signal}' takes no further arguments");
            }

            switch (signal)
            {
                case "cancel":
                    await client.CancelInstanceAsync(instanceId, result.GetValue(reason) ?? "Cancelled with runtara CLI", cancellationToken: ct);
                    return await InstancesCommand.DoneAsync(console, result.GetValue(globals.Output), "Cancelled", instanceId);
                case "pause":
                    await client.PauseInstanceAsync(instanceId, cancellationToken: ct);
                    return await InstancesCommand.DoneAsync(console, result.GetValue(globals.Output), "Paused", instanceId);
                case "resume":
                    await client.ResumeInstanceAsync(instanceId, cancellationToken: ct);
                    return await InstancesCommand.DoneAsync(console, result.GetValue(globals.Output), "Resumed", instanceId);
                default:
                    if (extra.Length != 2)
                    {
                        throw new UsageException("custom needs <checkpoint-id> <payload>");
                    }

                    await client.SendCustomSignalAsync(instanceId, extra[0], Encoding.UTF8.GetBytes(extra[1]), cancellationToken: ct);
                    return await InstancesCommand.DoneAsync(console, result.GetValue(globals.Output), "Signalled", instanceId);
            }
        }));
        return command;
    }
}

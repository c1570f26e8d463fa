using System.CommandLine;

namespace Runtara.Management.Cli.Commands;

internal static class HealthCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("health", "Check that the environment answers");
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var health = await client.HealthAsync(ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(health);
            }
            else
            {
                await console.Out.WriteLineAsync($"{(health.Healthy ? "healthy" : "unhealthy")} version={health.Version} uptime_ms={health.UptimeMs} active_instances={health.ActiveInstances}");
            }

            return health.Healthy ? Cli.Success : Cli.Failure;
        }));
        return command;
    }
}

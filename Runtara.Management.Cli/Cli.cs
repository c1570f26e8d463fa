using System.CommandLine;
using Runtara.Management.Cli.Commands;

namespace Runtara.Management.Cli;

/// <summary>
/// The <c>runtara</c> command tree. Exit codes: 0 success, 1 failure reported by the environment,
/// 2 usage error, 3 not found, 4 environment unreachable (or deadline passed).
/// </summary>
public static class Cli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;
    public const int NotFound = 3;
    public const int Unavailable = 4;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var console = new CliConsole(output ?? Console.Out, error ?? Console.Error);
        var root = BuildRoot(console);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await console.Error.WriteLineAsync($"error: {parseError.Message}");
            }

            await console.Error.WriteLineAsync("Run 'runtara --help' for usage.");
            return UsageError;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error });
    }

    public static RootCommand BuildRoot(CliConsole console)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("runtara: manage images, instances and schedules of a Runtara environment.\n" +
            "Server and trust come from the options or RUNTARA_ENVIRONMENT_ADDR, RUNTARA_API_KEY, RUNTARA_TENANT_ID, RUNTARA_TLS_PINNED_CERT, RUNTARA_TLS_PINNED_CERT_SHA256, RUNTARA_TLS_CA_CERT, RUNTARA_SKIP_CERT_VERIFICATION.");
        globals.AddTo(root);
        root.Subcommands.Add(HealthCommand.Build(globals, console));
        root.Subcommands.Add(ImagesCommand.Build(globals, console));
        root.Subcommands.Add(InstancesCommand.Build(globals, console));
        root.Subcommands.Add(SignalCommand.Build(globals, console));
        root.Subcommands.Add(CheckpointsCommand.Build(globals, console));
        root.Subcommands.Add(MetricsCommand.Build(globals, console));
        root.Subcommands.Add(SchedulesCommand.Build(globals, console));
        return root;
    }
}

namespace Runtara.Bench.Infrastructure;

/// <summary>Dispatches the command line to a command and reports usage errors.</summary>
internal static class BenchHost
{
    public static async Task<int> RunAsync(IReadOnlyList<IBenchCommand> commands, string[] args)
    {
        var command = args.Length > 0 ? commands.FirstOrDefault(c => c.Name.Equals(args[0], StringComparison.OrdinalIgnoreCase)) : null;
        if (command is null)
        {
            await Console.Error.WriteLineAsync("usage: Runtara.Bench <command> [--option value]...");
            foreach (var c in commands)
            {
                await Console.Error.WriteLineAsync($"  {c.Name,-18} {c.Usage}");
            }

            return args.Length == 0 || args[0] is "--help" or "-h" ? 0 : 2;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            return await command.RunAsync(new BenchArguments(args[1..]), cancellation.Token);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{command.Name}: {ex.Message}");
            await Console.Error.WriteLineAsync($"usage: {command.Name} {command.Usage}");
            return 2;
        }
    }
}

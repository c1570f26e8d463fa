using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Runtara.Management.Cli;

/// <summary>Where the CLI writes: tables (Spectre.Console) or JSON to stdout, errors to stderr.</summary>
public sealed class CliConsole
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public CliConsole(TextWriter output, TextWriter error)
    {
        Out = output;
        Error = error;
        var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            Ansi.Profile.Width = 200;
        }

        IsInteractive = interactive;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public IAnsiConsole Ansi { get; }

    public bool IsInteractive { get; }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Runs a command body with a client, mapping failures to messages and exit codes.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(
        GlobalOptions globals, CliConsole console, Func<ParseResult, RuntaraManagementClient, CancellationToken, Task<int>> body) =>
        async (result, cancellationToken) =>
        {
            try
            {
                await using var client = new RuntaraManagementClient(globals.ClientOptions(result));
                return await body(result, client, cancellationToken);
            }
            catch (ImageNotFoundException ex)
            {
                return await FailAsync(console, ex, Cli.NotFound);
            }
            catch (InstanceNotFoundException ex)
            {
                return await FailAsync(console, ex, Cli.NotFound);
            }
            catch (CheckpointNotFoundException ex)
            {
                return await FailAsync(console, ex, Cli.NotFound);
            }
            catch (ScheduleNotFoundException ex)
            {
                return await FailAsync(console, ex, Cli.NotFound);
            }
            catch (EnvironmentUnavailableException ex)
            {
                return await FailAsync(console, ex, Cli.Unavailable);
            }
            catch (ManagementConfigurationException ex)
            {
                return await FailAsync(console, ex, Cli.UsageError);
            }
            catch (UsageException ex)
            {
                await console.Error.WriteLineAsync($"error: {ex.Message}");
                return Cli.UsageError;
            }
            catch (RuntaraException ex)
            {
                return await FailAsync(console, ex, Cli.Failure);
            }
            catch (IOException ex)
            {
                await console.Error.WriteLineAsync($"error: {ex.Message}");
                return Cli.Failure;
            }
        };

    private static async Task<int> FailAsync(CliConsole console, RuntaraException ex, int exitCode)
    {
        await console.Error.WriteLineAsync($"error: {ex.Message} ({ex.Code})");
        return exitCode;
    }
}

/// <summary>A bad combination of arguments found after parsing.</summary>
public sealed class UsageException(string message) : Exception(message);

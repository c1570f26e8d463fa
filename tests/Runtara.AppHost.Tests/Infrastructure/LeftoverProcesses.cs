using System.Text;

namespace Runtara.AppHost.Tests.Infrastructure;

/// <summary>
/// Processes that belong to one AppHost run: every process the AppHost starts (core, environment, their
/// <c>dotnet run</c> wrappers, instance processes) carries that run's unique data directory in its
/// command line or environment, so other tests running at the same time never match.
/// </summary>
public static class LeftoverProcesses
{
    public static IReadOnlyList<string> Mentioning(string marker)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == System.Environment.ProcessId)
            {
                continue;
            }

            var commandLine = Read(Path.Combine(directory, "cmdline"));
            if (commandLine.Contains(marker, StringComparison.Ordinal) || Read(Path.Combine(directory, "environ")).Contains(marker, StringComparison.Ordinal))
            {
                found.Add($"{pid}: {commandLine}");
            }
        }

        return found;
    }

    /// <summary>Waits (graceful shutdown takes ~15 s on 2 cores) until no process mentions <paramref name="marker"/>.</summary>
    public static async Task<IReadOnlyList<string>> WaitUntilGoneAsync(string marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<string> left;
        while ((left = Mentioning(marker)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        return left;
    }

    private static string Read(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path)).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty; // the process ended while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}

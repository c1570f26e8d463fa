using System.Text;

namespace Runtara.Testing;

/// <summary>
/// Processes that belong to one test's servers: every process a test starts (core, environment, their
/// <c>dotnet run</c> wrappers, instance processes) carries the test's unique data directory in its
/// command line or environment, so other tests running at the same time never match.
/// </summary>
public static class LeftoverProcesses
{
    /// <summary>"pid: command line" of every other process whose command line or environment mentions <paramref name="marker"/>.</summary>
    public static IReadOnlyList<string> Mentioning(string marker) =>
        Matching(marker, alsoEnvironment: true).Select(p => $"{p.Pid}: {p.CommandLine}").ToList();

    /// <summary>Kills (SIGKILL) every other process whose command line mentions <paramref name="marker"/>; returns how many.</summary>
    public static int KillMentioning(string marker)
    {
        var killed = 0;
        foreach (var (pid, _) in Matching(marker, alsoEnvironment: false))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
                killed++;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // It ended meanwhile.
            }
        }

        return killed;
    }

    private static IEnumerable<(int Pid, string CommandLine)> Matching(string marker, bool alsoEnvironment)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == System.Environment.ProcessId)
            {
                continue;
            }

            var commandLine = Read(Path.Combine(directory, "cmdline"));
            if (commandLine.Contains(marker, StringComparison.Ordinal) || (alsoEnvironment && Read(Path.Combine(directory, "environ")).Contains(marker, StringComparison.Ordinal)))
            {
                yield return (pid, commandLine);
            }
        }
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

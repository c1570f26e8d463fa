using System.Diagnostics;
using System.Globalization;

namespace Runtara.Testing;

/// <summary>
/// Sends POSIX signals to a process as an operator would (<c>kill -TERM pid</c>): .NET's
/// <see cref="Process.Kill()"/> only sends SIGKILL, and a graceful stop is a SIGTERM.
/// </summary>
public static class PosixSignals
{
    /// <summary>SIGTERM: the process may run its shutdown code (the .NET host's console lifetime stops the application).</summary>
    public static Task TerminateAsync(int processId) => SendAsync(processId, "TERM");

    /// <summary>Runs <c>kill -&lt;signal&gt; &lt;processId&gt;</c> and fails when kill does.</summary>
    public static async Task SendAsync(int processId, string signal)
    {
        var start = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add($"-{signal}");
        start.ArgumentList.Add(processId.ToString(CultureInfo.InvariantCulture));
        using var kill = Process.Start(start) ?? throw new InvalidOperationException("kill did not start");
        var stderr = await kill.StandardError.ReadToEndAsync();
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {processId} failed ({kill.ExitCode}): {stderr}");
        }
    }
}

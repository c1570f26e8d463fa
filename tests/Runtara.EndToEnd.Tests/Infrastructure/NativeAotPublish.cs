using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Runtara.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Publishes a project as a native AOT executable for the tests that run one as an image. Native
/// AOT links with the platform's C toolchain; without one, <see cref="SkipReason"/> says so.
/// </summary>
public static class NativeAotPublish
{
    /// <summary>Why native AOT tests cannot run here, or null when a C compiler/linker is on PATH.</summary>
    public static string? SkipReason { get; } = OperatingSystem.IsWindows() || FindOnPath("clang") is not null || FindOnPath("cc") is not null || FindOnPath("gcc") is not null
        ? null
        : "Native AOT skipped: no C toolchain (clang, cc or gcc) on PATH to link the executable";

    /// <summary>
    /// <c>dotnet publish</c> of <paramref name="project"/> (relative to the repository) into
    /// <paramref name="output"/>, against the already built project references, so it never
    /// rebuilds what the test run is using.
    /// </summary>
    public static async Task PublishAsync(string project, string output, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "publish", Path.Combine(Paths.Root, project), "-c", Paths.Configuration, "-r", RuntimeInformation.RuntimeIdentifier, "--no-dependencies", "-p:PublishAot=true", "-o", output, "-nologo" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish {project} failed ({process.ExitCode}):\n{await stdout}{await stderr}");
        }
    }

    private static string? FindOnPath(string program) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}

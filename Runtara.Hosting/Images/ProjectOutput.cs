using System.Diagnostics;
using System.Reflection;

namespace Aspire.Hosting.Images;

/// <summary>
/// Finds the build output of a .NET project (its <c>TargetPath</c>, in the configuration this AppHost
/// was built in) and builds the project when that output is missing. The output folder of an
/// executable project is self-contained enough to run with <c>dotnet &lt;entry&gt;.dll</c>, which is what
/// a Runtara zip image is.
/// </summary>
internal static class ProjectOutput
{
    private static readonly string Configuration =
        typeof(ProjectOutput).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static async Task<string> ResolveAsync(string projectPath, CancellationToken cancellationToken)
    {
        var targetPath = (await DotnetAsync(["msbuild", projectPath, "-getProperty:TargetPath", $"-p:Configuration={Configuration}"], cancellationToken).ConfigureAwait(false)).Trim();
        if (targetPath.Length == 0)
        {
            throw new InvalidOperationException($"'{projectPath}' has no TargetPath.");
        }

        if (!File.Exists(targetPath))
        {
            await DotnetAsync(["build", projectPath, "-c", Configuration, "-nologo", "-v", "q"], cancellationToken).ConfigureAwait(false);
        }

        return File.Exists(targetPath) ? targetPath : throw new InvalidOperationException($"Building '{projectPath}' did not produce '{targetPath}'.");
    }

    private static async Task<string> DotnetAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode == 0
            ? await output.ConfigureAwait(false)
            : throw new InvalidOperationException($"dotnet {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
    }
}

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
        var targetPath = (await DotnetCli.RunAsync(["msbuild", projectPath, "-getProperty:TargetPath", $"-p:Configuration={Configuration}"], cancellationToken).ConfigureAwait(false)).Trim();
        if (targetPath.Length == 0)
        {
            throw new InvalidOperationException($"'{projectPath}' has no TargetPath.");
        }

        if (!File.Exists(targetPath))
        {
            await DotnetCli.RunAsync(["build", projectPath, "-c", Configuration, "-nologo", "-v", "q"], cancellationToken).ConfigureAwait(false);
        }

        return File.Exists(targetPath) ? targetPath : throw new InvalidOperationException($"Building '{projectPath}' did not produce '{targetPath}'.");
    }
}

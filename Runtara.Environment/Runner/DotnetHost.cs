using System.Runtime.InteropServices;

namespace Runtara.Environment.Runner;

/// <summary>
/// Which <c>dotnet</c> host runs a framework-dependent image (an entrypoint <c>.dll</c>): the configured
/// path, else <c>DOTNET_HOST_PATH</c> (set by the SDK's tools), else the host next to the running runtime,
/// else plain <c>dotnet</c> from <c>PATH</c>.
/// </summary>
internal static class DotnetHost
{
    /// <summary>The host for this process: <paramref name="configuredPath"/> when set, else <see cref="Find"/>.</summary>
    public static string Resolve(string? configuredPath) =>
        string.IsNullOrWhiteSpace(configuredPath)
            ? Find(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"), RuntimeEnvironment.GetRuntimeDirectory())
            : configuredPath;

    /// <summary>
    /// Finds the host from <paramref name="hostPathVariable"/> (used when the file exists) or from the
    /// runtime directory: …/dotnet/shared/Microsoft.NETCore.App/x.y.z/ → …/dotnet/dotnet.
    /// </summary>
    public static string Find(string? hostPathVariable, string runtimeDirectory)
    {
        if (!string.IsNullOrEmpty(hostPathVariable) && File.Exists(hostPathVariable))
        {
            return hostPathVariable;
        }

        var runtime = new DirectoryInfo(runtimeDirectory);
        var root = runtime.Parent?.Parent?.Parent?.FullName;
        var candidate = root is null ? null : Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }
}

using System.Reflection;

namespace Aspire.Hosting;

/// <summary>
/// Where <c>AddRuntaraCore(name)</c> and <c>AddRuntaraEnvironment(name)</c> find the servers (docs/packages.md):
/// <list type="bullet">
/// <item>From the Runtara.Hosting package: the servers ship in it, published framework-dependent under
/// <c>tools/core/</c> and <c>tools/environment/</c>, each with a launcher project (<c>Runtara.Core.proj</c>)
/// that <c>dotnet run</c> turns into <c>dotnet exec Runtara.Core.dll</c>. The package's
/// <c>build/Runtara.Hosting.targets</c> puts the <c>tools</c> folder's path into the referencing app's
/// runtimeconfig.json (<c>Runtara.Hosting.ServersDirectory</c>): the package's assemblies are copied into the
/// app's output, so their own location does not lead back to the package. An AppHost needs nothing but the package.</item>
/// <item>From this repository: the projects' paths are recorded in the assembly when it is built
/// (AssemblyMetadata, see the .csproj), so an AppHost built here runs them from source.</item>
/// </list>
/// Either way the resource stays a project resource with the same launch profile, endpoints and variables.
/// </summary>
internal static class RuntaraProjects
{
    /// <summary>The runtimeconfig.json property with the package's <c>tools</c> folder (build/Runtara.Hosting.targets).</summary>
    internal const string ServersDirectoryProperty = "Runtara.Hosting.ServersDirectory";

    /// <summary>The package's <c>tools</c> folder; empty when the app did not get Runtara.Hosting from a package.</summary>
    internal static string PackagedServersDirectory => AppContext.GetData(ServersDirectoryProperty) as string ?? string.Empty;

    public static IProjectMetadata Core => Find(PackagedServersDirectory, "core", "Runtara.Core", "Runtara.Hosting.CoreProject");

    public static IProjectMetadata Environment => Find(PackagedServersDirectory, "environment", "Runtara.Environment", "Runtara.Hosting.EnvironmentProject");

    /// <summary>The packaged server under <paramref name="serversDirectory"/> when there is one, else the project recorded at build time.</summary>
    internal static IProjectMetadata Find(string serversDirectory, string folder, string assemblyName, string metadataKey)
    {
        // The package first: its servers are the ones built with this assembly, even on the machine that packed it.
        var launcher = Path.Combine(serversDirectory, folder, assemblyName + ".proj");
        if (serversDirectory.Length > 0 && File.Exists(launcher))
        {
            return new ProjectPathMetadata(launcher);
        }

        var path = typeof(RuntaraProjects).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == metadataKey)?.Value
            ?? throw new InvalidOperationException($"Runtara.Hosting was built without the '{metadataKey}' metadata.");
        return File.Exists(path)
            ? new ProjectPathMetadata(path)
            : throw new InvalidOperationException($"Runtara.Hosting finds neither its packaged server '{launcher}' nor the project '{path}' recorded when it was built; use the Runtara.Hosting package, or pass the project explicitly (AddRuntaraCore<TProject>/AddRuntaraEnvironment<TProject>).");
    }
}

/// <summary>An <see cref="IProjectMetadata"/> for a project path known at run time.</summary>
internal sealed class ProjectPathMetadata(string projectPath) : IProjectMetadata
{
    public string ProjectPath { get; } = projectPath;

    /// <summary>
    /// Built already: a repository project with the AppHost (Runtara.Hosting's build-only project references),
    /// like the projects an AppHost references itself, otherwise every start would run two concurrent builds of
    /// the shared projects; a packaged server is published in the package and its launcher cannot be built.
    /// </summary>
    public bool SuppressBuild => true;
}

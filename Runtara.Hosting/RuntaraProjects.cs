using System.Reflection;

namespace Aspire.Hosting;

/// <summary>
/// Project metadata of the core and environment of this repository: their paths are recorded in
/// this assembly when it is built (AssemblyMetadata, see the .csproj), so <c>AddRuntaraCore(name)</c>
/// works from any AppHost built from this repository. An AppHost elsewhere passes its own project
/// (<c>AddRuntaraCore&lt;Projects.My_Core&gt;(name)</c>).
/// </summary>
internal static class RuntaraProjects
{
    public static IProjectMetadata Core => FromMetadata("Runtara.Hosting.CoreProject");

    public static IProjectMetadata Environment => FromMetadata("Runtara.Hosting.EnvironmentProject");

    private static ProjectPathMetadata FromMetadata(string key)
    {
        var path = typeof(RuntaraProjects).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"Runtara.Hosting was built without the '{key}' metadata.");
        return File.Exists(path)
            ? new ProjectPathMetadata(path)
            : throw new InvalidOperationException($"The project '{path}' recorded when Runtara.Hosting was built does not exist; pass the project explicitly (AddRuntaraCore<TProject>/AddRuntaraEnvironment<TProject>).");
    }
}

/// <summary>An <see cref="IProjectMetadata"/> for a project path known at run time.</summary>
internal sealed class ProjectPathMetadata(string projectPath) : IProjectMetadata
{
    public string ProjectPath { get; } = projectPath;

    /// <summary>
    /// Built already, with the AppHost (Runtara.Hosting's build-only project references), like the projects an
    /// AppHost references itself; otherwise every start would run two concurrent builds of the shared projects.
    /// </summary>
    public bool SuppressBuild => true;
}

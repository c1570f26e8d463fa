namespace Runtara.Testing;

/// <summary>The checkout the tests run from, and the build configuration they were built in.</summary>
public static class Repository
{
    /// <summary>The directory holding Runtara.sln, found above the test's output folder.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the folder above the test's <c>net10.0</c> output folder.</summary>
    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Runtara.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Runtara.sln not found above " + AppContext.BaseDirectory);
    }
}

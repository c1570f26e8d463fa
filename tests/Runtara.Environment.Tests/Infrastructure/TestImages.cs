using System.IO.Compression;

namespace Runtara.Environment.Tests.Infrastructure;

/// <summary>Images built from tests/Runtara.TestInstance: its published folder zipped, and a few shell-script executables.</summary>
public static class TestImages
{
    private static readonly Lazy<string> Zip = new(CreateZip);

    /// <summary>Path of a zip of the test instance's output folder (entrypoint Runtara.TestInstance.dll).</summary>
    public static string TestInstanceZip => Zip.Value;

    public const string TestInstanceEntrypoint = "Runtara.TestInstance.dll";

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The test instance's build output (same configuration as the tests).</summary>
    public static string TestInstanceFolder
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var folder = Path.Combine(RepositoryRoot, "tests", "Runtara.TestInstance", "bin", configuration, "net10.0");
            return File.Exists(Path.Combine(folder, TestInstanceEntrypoint))
                ? folder
                : throw new InvalidOperationException($"The test instance is not built at {folder}; build tests/Runtara.TestInstance first.");
        }
    }

    /// <summary>A single-file executable image: a shell script.</summary>
    public static byte[] Script(string body) => System.Text.Encoding.UTF8.GetBytes("#!/bin/sh\n" + body + "\n");

    private static string CreateZip()
    {
        var path = Path.Combine(Path.GetTempPath(), $"runtara-test-instance-{Guid.NewGuid():N}.zip");
        ZipFile.CreateFromDirectory(TestInstanceFolder, path);
        return path;
    }

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

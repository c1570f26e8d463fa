using System.IO.Compression;
using Runtara.Testing;

namespace Runtara.Environment.Tests.Infrastructure;

/// <summary>Images built from tests/Runtara.TestInstance (its output folder zipped) and tests/Runtara.Sdk.TestWorkflow, and a few shell-script executables.</summary>
public static class TestImages
{
    private static readonly Lazy<string> Zip = new(CreateZip);

    /// <summary>Path of a zip of the test instance's output folder (entrypoint Runtara.TestInstance.dll).</summary>
    public static string TestInstanceZip => Zip.Value;

    public const string TestInstanceEntrypoint = "Runtara.TestInstance.dll";

    /// <summary>The test instance's build output (same configuration as the tests).</summary>
    public static string TestInstanceFolder => BuildOutput("Runtara.TestInstance", TestInstanceEntrypoint);

    /// <summary>The SDK test workflow's build output (tests/Runtara.Sdk.TestWorkflow: counted steps, optional children).</summary>
    public static string SdkTestWorkflowFolder => BuildOutput("Runtara.Sdk.TestWorkflow", SdkTestWorkflowEntrypoint);

    public const string SdkTestWorkflowEntrypoint = "Runtara.Sdk.TestWorkflow.dll";

    /// <summary>A single-file executable image: a shell script.</summary>
    public static byte[] Script(string body) => System.Text.Encoding.UTF8.GetBytes("#!/bin/sh\n" + body + "\n");

    private static string BuildOutput(string project, string entrypoint)
    {
        var folder = Path.Combine(Repository.Root, "tests", project, "bin", Repository.Configuration, "net10.0");
        return File.Exists(Path.Combine(folder, entrypoint))
            ? folder
            : throw new InvalidOperationException($"{project} is not built at {folder}; build tests/{project} first.");
    }

    private static string CreateZip()
    {
        var path = Path.Combine(Path.GetTempPath(), $"runtara-test-instance-{Guid.NewGuid():N}.zip");
        ZipFile.CreateFromDirectory(TestInstanceFolder, path);
        return path;
    }
}

using System.Diagnostics;

namespace Runtara.Bench.Infrastructure;

/// <summary>How <see cref="SampleImage"/> publishes a project.</summary>
internal enum PublishMode
{
    Aot,
    ReadyToRun,
    Jit,
}

/// <summary>
/// The image the process benchmarks (w3-process, wait-wake) start: a zip or a folder as given, or by
/// default samples/Runtara.Samples.NativeAot published the way a production image would be — native
/// AOT unless <c>--publish</c> says otherwise.
/// </summary>
internal static class SampleImage
{
    /// <summary>The default project's executable (and process) name.</summary>
    public const string DefaultEntrypoint = "Runtara.Samples.NativeAot";

    public const string Usage = "[--project DIR=samples/Runtara.Samples.NativeAot] [--publish aot|ready-to-run|jit (default aot)] [--image ZIP_OR_FOLDER (instead of publishing)]";

    /// <summary>
    /// Returns the zip or folder and a description for the table; publishes into <paramref name="data"/>/image
    /// unless <paramref name="image"/> names one. The environment infers the entrypoint unless the caller names it.
    /// </summary>
    public static async Task<(string Path, string Description)> ResolveAsync(string image, string project, PublishMode publish, string data, CancellationToken cancellationToken)
    {
        if (File.Exists(image) || Directory.Exists(image))
        {
            return (Path.GetFullPath(image), image);
        }

        if (!string.IsNullOrEmpty(image))
        {
            throw new ArgumentException($"--image {image}: no such file or folder");
        }

        var projectFile = ProjectFile(string.IsNullOrEmpty(project) ? Path.Combine(RepositoryRoot(), "samples", "Runtara.Samples.NativeAot") : project);
        var folder = Path.Combine(data, "image");
        await PublishAsync(projectFile, publish, folder, cancellationToken);
        return (folder, $"{Path.GetFileNameWithoutExtension(projectFile)} ({publish switch { PublishMode.Aot => "native AOT", PublishMode.ReadyToRun => "ReadyToRun", _ => "JIT" }})");
    }

    public static PublishMode ParsePublishMode(string value) => value switch
    {
        "aot" => PublishMode.Aot,
        "ready-to-run" or "r2r" => PublishMode.ReadyToRun,
        "jit" => PublishMode.Jit,
        _ => throw new ArgumentException($"--publish {value}: expected aot, ready-to-run or jit"),
    };

    /// <summary>Deletes a benchmark's data directory unless RUNTARA_BENCH_KEEP=1 asks to keep it.</summary>
    public static void DeleteData(string path)
    {
        if (System.Environment.GetEnvironmentVariable("RUNTARA_BENCH_KEEP") == "1")
        {
            return;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task PublishAsync(string projectFile, PublishMode publish, string output, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] mode = publish switch
        {
            PublishMode.Aot => ["-p:PublishAot=true"],
            PublishMode.ReadyToRun => ["--self-contained", "false", "-p:PublishAot=false", "-p:PublishReadyToRun=true"],
            _ => ["--self-contained", "false", "-p:PublishAot=false"],
        };
        foreach (var argument in new[] { "publish", projectFile, "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "-o", output, "-nologo" }.Concat(mode))
        {
            start.ArgumentList.Add(argument);
        }

        Console.WriteLine($"publishing {Path.GetFileName(projectFile)} ({publish})…");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed (native AOT needs a C toolchain: cc/clang and zlib):\n{await stdout}{await stderr}");
        }
    }

    private static string ProjectFile(string path) =>
        File.Exists(path) ? Path.GetFullPath(path)
        : Directory.Exists(path) && Directory.GetFiles(path, "*.csproj") is [var single] ? single
        : throw new ArgumentException($"--project {path}: not a project file or a folder with one *.csproj");

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Runtara.sln")))
            {
                return directory.FullName;
            }
        }

        throw new ArgumentException("Runtara.sln not found above the benchmark; pass --project or --image.");
    }
}

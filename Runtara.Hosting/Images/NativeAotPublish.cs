using System.Runtime.InteropServices;
using Runtara.Protocol.Images;

namespace Aspire.Hosting.Images;

/// <summary>
/// Publishes a .NET project as a native AOT executable for this machine, the content of a
/// <c>WithNativeAot()</c> image: <c>dotnet publish -c Release -r &lt;RID&gt; -p:PublishAot=true</c> into a
/// folder that is emptied first, checked to hold the one native executable the environment will run.
/// </summary>
internal static class NativeAotPublish
{
    /// <summary>The runtime identifier of this machine, which the environment's processes run on.</summary>
    public static string RuntimeIdentifier => RuntimeInformation.RuntimeIdentifier;

    // One publish at a time: the images of an AppHost share project references (Runtara.Sdk, …), and
    // concurrent publishes would build them into the same obj/Release folders.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The <c>dotnet</c> arguments of the publish.</summary>
    public static IReadOnlyList<string> Arguments(string projectPath, string directory) =>
    [
        "publish", projectPath, "-c", "Release", "-r", RuntimeIdentifier, "-p:PublishAot=true",
        // An image carries the program only; the native symbols (a .dbg file, ELF too) would also make
        // the environment's choice of entrypoint ambiguous.
        "-p:CopyOutputSymbolsToPublishDirectory=false",
        "-o", directory, "-nologo", "-v", "q",
        // No MSBuild worker nodes left behind for minutes after the AppHost's publish (and none outside
        // the process tree that cancellation kills).
        "-nodeReuse:false",
    ];

    /// <summary>Publishes <paramref name="projectPath"/> into <paramref name="directory"/> and returns the program the environment will infer.</summary>
    /// <exception cref="InvalidOperationException">The publish failed (e.g. no C toolchain), or left no single native executable.</exception>
    public static async Task<string> PublishAsync(string projectPath, string directory, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Files of an earlier publish (a renamed program) would make the entrypoint ambiguous.
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            await DotnetCli.RunAsync(Arguments(projectPath, directory), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"Publishing '{projectPath}' native AOT failed; native AOT links with the machine's C toolchain (clang or gcc, and zlib). {ex.Message}", ex);
        }
        finally
        {
            Gate.Release();
        }

        return ImageEntrypoint.Infer(directory) is { } program && !program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? program
            : throw new InvalidOperationException($"The native AOT publish of '{projectPath}' left no single native executable in '{directory}' for the environment to run.");
    }
}

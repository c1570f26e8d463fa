using System.Runtime.InteropServices;

namespace Runtara.Testing;

/// <summary>
/// Publishes a project as a native AOT executable for the tests that run one as an image. Native
/// AOT links with the platform's C toolchain; without one, <see cref="NativeToolchain.SkipReason"/> says so.
/// </summary>
public static class NativeAotPublish
{
    /// <summary>
    /// <c>dotnet publish</c> of <paramref name="project"/> (relative to the repository) into
    /// <paramref name="output"/>, against the already built project references, so it never
    /// rebuilds what the test run is using.
    /// </summary>
    public static Task PublishAsync(string project, string output, CancellationToken cancellationToken) =>
        ChildProcess.DotnetAsync(
            Repository.Root,
            ["publish", Path.Combine(Repository.Root, project), "-c", Repository.Configuration, "-r", RuntimeInformation.RuntimeIdentifier, "--no-dependencies", "-p:PublishAot=true", "-o", output, "-nologo"],
            cancellationToken);
}

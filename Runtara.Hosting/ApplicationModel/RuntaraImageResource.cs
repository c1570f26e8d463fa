namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A program registered as an image in a Runtara environment once the environment is healthy
/// (the build output folder of a .NET project, zipped, or its native AOT publish with
/// <c>WithNativeAot()</c>). Shown in the dashboard under its
/// environment, with commands to start an instance and to pause, resume, cancel or signal the latest one;
/// its recent instances are listed under it (<see cref="RuntaraInstanceResource"/>), each with its own commands.
/// </summary>
public sealed class RuntaraImageResource(string name, RuntaraEnvironmentResource environment, string projectPath)
    : Resource(name), IResourceWithParent<RuntaraEnvironmentResource>, IResourceWithWaitSupport
{
    /// <summary>The environment the image is registered in.</summary>
    public RuntaraEnvironmentResource Parent { get; } = environment;

    /// <summary>The .NET project whose build output becomes the image.</summary>
    public string ProjectPath { get; } = projectPath;

    /// <summary>JSON input of instances started from the dashboard or at start-up (<c>{}</c> when empty).</summary>
    public string Input { get; internal set; } = "{}";

    /// <summary>Start one instance as soon as the image is registered.</summary>
    public bool StartOnRegistration { get; internal set; }

    /// <summary>Publish the project native AOT and register the published folder instead of the build output.</summary>
    public bool NativeAot { get; internal set; }

    /// <summary>
    /// Where the native AOT publish goes: <c>&lt;environment data&gt;/native-aot/&lt;image name&gt;</c>, emptied
    /// before each publish (so it follows <c>WithDataDirectory</c>); null without <see cref="NativeAot"/>.
    /// </summary>
    public string? PublishDirectory => NativeAot ? Path.Combine(Parent.DataDirectory, "native-aot", Name) : null;

    /// <summary>Image id given by the environment, once registered.</summary>
    public string? ImageId { get; internal set; }

    /// <summary>The latest instance started from the AppHost, if any.</summary>
    public string? LatestInstanceId { get; internal set; }

    /// <summary>Follows the image's recent instances once it is registered.</summary>
    internal Images.InstanceWatcher? Watcher { get; set; }
}

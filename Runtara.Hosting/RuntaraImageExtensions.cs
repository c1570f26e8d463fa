using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Images;

namespace Aspire.Hosting;

/// <summary>
/// Registers .NET programs as images of a Runtara environment from the AppHost:
/// <code>
/// environment.AddImage&lt;Projects.My_Workflow&gt;("my-workflow").WithInput("{}").WithStartOnRegistration();
/// </code>
/// Once the environment is healthy, the project's build output is zipped and registered (the project is
/// built first if its output is missing); with <c>WithNativeAot()</c> the project is published native AOT
/// and the published folder is registered instead. The image appears under the environment in the dashboard,
/// with commands to start an instance and to pause, resume, cancel or signal the latest one; its latest 20
/// instances appear under it (<see cref="RuntaraInstanceResource"/>) with their state, what they wait for,
/// and the same commands acting on each of them.
/// </summary>
public static class RuntaraImageExtensions
{
    /// <summary>Command names (also for <c>ResourceCommands.ExecuteCommandAsync</c> in tests).</summary>
    public const string StartCommand = "runtara-start-instance";

    /// <inheritdoc cref="StartCommand"/>
    public const string PauseCommand = "runtara-pause-instance";

    /// <inheritdoc cref="StartCommand"/>
    public const string ResumeCommand = "runtara-resume-instance";

    /// <inheritdoc cref="StartCommand"/>
    public const string CancelCommand = "runtara-cancel-instance";

    /// <summary>"Re-run" on an instance resource: a FAILED or CANCELLED instance runs again as a new instance from its last successful step (docs/operations.md).</summary>
    public const string RerunCommand = "runtara-rerun-instance";

    /// <summary>"Fork" on an instance resource: a new instance replaying this one's checkpoints up to the one named by the argument <c>checkpoint</c>.</summary>
    public const string ForkCommand = "runtara-fork-instance";

    /// <summary>
    /// "Send signal": a custom signal with a JSON payload, to the image's latest instance or (on an instance
    /// resource) to that instance. Its arguments are <c>name</c> and <c>payload</c>; the dashboard asks for them.
    /// </summary>
    public const string SignalCommand = "runtara-send-signal";

    /// <summary>Adds the build output of <typeparamref name="TProject"/> as image <paramref name="name"/>.</summary>
    public static IResourceBuilder<RuntaraImageResource> AddImage<TProject>(this IResourceBuilder<RuntaraEnvironmentResource> environment, [ResourceName] string name)
        where TProject : IProjectMetadata, new() =>
        environment.AddImage(name, new TProject().ProjectPath);

    /// <summary>Adds the build output of the project at <paramref name="projectPath"/> (relative to the AppHost directory) as image <paramref name="name"/>.</summary>
    public static IResourceBuilder<RuntaraImageResource> AddImage(this IResourceBuilder<RuntaraEnvironmentResource> environment, [ResourceName] string name, string projectPath)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentException.ThrowIfNullOrWhiteSpace(projectPath);
        var resource = new RuntaraImageResource(name, environment.Resource, Path.GetFullPath(projectPath, environment.ApplicationBuilder.AppHostDirectory));
        environment.OnResourceReady((_, ready, cancellationToken) => resource.NativeAot
            // A native AOT publish takes a minute: run it beside the ready event, whose handlers hold up
            // everything that waits for the environment to be healthy, and stop it when the AppHost stops.
            ? ImageOperations.RegisterInBackground(resource, ready.Services)
            : ImageOperations.RegisterAsync(resource, ready.Services, cancellationToken));
        return environment.ApplicationBuilder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = ImageOperations.ResourceType,
                State = new ResourceStateSnapshot(KnownResourceStates.Waiting, KnownResourceStateStyles.Info),
                Properties = [new(ImageOperations.ProjectProperty, resource.ProjectPath)],
            })
            .ExcludeFromManifest()
            .WithCommand(StartCommand, "Start instance", context => RunAsync(context, async (services, ct) =>
                    $"Started instance {await ImageOperations.StartInstanceAsync(resource, services, ct).ConfigureAwait(false)}"),
                new CommandOptions { Description = "Start an instance of this image with its configured input", IconName = "Play", IsHighlighted = true, UpdateState = _ => Enabled(resource.ImageId) })
            .WithCommand(PauseCommand, "Pause instance", context => RunAsync(context, async (services, ct) =>
                    $"Paused instance {await ImageOperations.ControlLatestAsync(resource, services, (c, id, t) => c.PauseInstanceAsync(id, cancellationToken: t), ct).ConfigureAwait(false)}"),
                new CommandOptions { Description = "Send the pause signal to the latest instance", IconName = "Pause", UpdateState = _ => Enabled(resource.LatestInstanceId) })
            .WithCommand(ResumeCommand, "Resume instance", context => RunAsync(context, async (services, ct) =>
                    $"Resumed instance {await ImageOperations.ControlLatestAsync(resource, services, (c, id, t) => c.ResumeInstanceAsync(id, cancellationToken: t), ct).ConfigureAwait(false)}"),
                new CommandOptions { Description = "Resume the latest instance", IconName = "PlayCircle", UpdateState = _ => Enabled(resource.LatestInstanceId) })
            .WithCommand(CancelCommand, "Cancel instance", context => RunAsync(context, async (services, ct) =>
                    $"Cancelled instance {await ImageOperations.ControlLatestAsync(resource, services, (c, id, t) => c.CancelInstanceAsync(id, "cancelled from the Aspire dashboard", cancellationToken: t), ct).ConfigureAwait(false)}"),
                new CommandOptions { Description = "Send the cancel signal to the latest instance", IconName = "Dismiss", ConfirmationMessage = "Cancel the latest instance?", UpdateState = _ => Enabled(resource.LatestInstanceId) })
            .WithCommand(SignalCommand, "Send signal", context => InstanceCommands.SendSignalAsync(resource, resource.LatestInstanceId, context),
                new CommandOptions
                {
                    Description = "Send a custom signal with a JSON payload to the latest instance (each instance under this image has the same command)",
                    IconName = "Send",
                    UpdateState = _ => Enabled(resource.LatestInstanceId),
                    Arguments = InstanceCommands.SignalArguments(),
                    ValidateArguments = InstanceCommands.ValidateSignalArguments,
                });
    }

    /// <summary>JSON input of the instances this resource starts (default <c>{}</c>).</summary>
    public static IResourceBuilder<RuntaraImageResource> WithInput(this IResourceBuilder<RuntaraImageResource> image, string json)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(json);
        using (System.Text.Json.JsonDocument.Parse(json))
        {
            // Parsed only to reject bad JSON while the AppHost is being built rather than when the instance starts.
        }

        image.Resource.Input = json;
        return image;
    }

    /// <summary>Starts one instance as soon as the image is registered (its status then shows as the resource's state).</summary>
    public static IResourceBuilder<RuntaraImageResource> WithStartOnRegistration(this IResourceBuilder<RuntaraImageResource> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Resource.StartOnRegistration = true;
        return image;
    }

    /// <summary>
    /// Publishes the project native AOT (<c>dotnet publish -c Release -r &lt;this machine's RID&gt; -p:PublishAot=true</c>)
    /// and registers the published folder, whose only native executable the environment runs, instead of the
    /// JIT build output: an instance then starts in milliseconds rather than spending ~150–200 ms of CPU in
    /// the runtime and JIT. The publish links with the machine's C toolchain (clang or gcc, and zlib) and takes
    /// about a minute; the resource shows <c>Publishing (native AOT)</c> meanwhile, and <c>FailedToStart</c>
    /// with the publish error in its log if it fails.
    /// </summary>
    public static IResourceBuilder<RuntaraImageResource> WithNativeAot(this IResourceBuilder<RuntaraImageResource> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Resource.NativeAot = true;
        return image;
    }

    private static ResourceCommandState Enabled(string? requirement) => requirement is null ? ResourceCommandState.Disabled : ResourceCommandState.Enabled;

    private static async Task<ExecuteCommandResult> RunAsync(ExecuteCommandContext context, Func<IServiceProvider, CancellationToken, Task<string>> action)
    {
        try
        {
            return CommandResults.Success(await action(context.Services, context.CancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is InvalidOperationException or Runtara.Management.ManagementException)
        {
            return CommandResults.Failure(ex.Message);
        }
    }
}

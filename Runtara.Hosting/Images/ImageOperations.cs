using System.Collections.Immutable;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Management;
using Runtara.Management.Images;
using Runtara.Protocol.Contracts;

namespace Aspire.Hosting.Images;

/// <summary>
/// What the AppHost does with an image resource through the environment's management protocol:
/// register the project's build output (or its native AOT publish), start instances, pause/resume/cancel the latest one;
/// <see cref="InstanceWatcher"/> then lists the image's recent instances and mirrors the latest one's status into the image's state.
/// </summary>
internal static class ImageOperations
{
    public const string ResourceType = "RuntaraImage";
    public const string ImageIdProperty = "runtara.image.id";
    public const string InstanceIdProperty = "runtara.instance.id";
    public const string ProjectProperty = "runtara.image.project";
    public const string PublishDirectoryProperty = "runtara.image.publish-directory";

    /// <summary>State while a <c>WithNativeAot()</c> image is published.</summary>
    public const string PublishingState = "Publishing (native AOT)";

    /// <summary>Registers the image on a task of its own, cancelled (publish process tree killed) when the AppHost stops.</summary>
    public static Task RegisterInBackground(RuntaraImageResource image, IServiceProvider services)
    {
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(() => RegisterAsync(image, services, stopping), CancellationToken.None);
        return Task.CompletedTask;
    }

    public static async Task RegisterAsync(RuntaraImageResource image, IServiceProvider services, CancellationToken cancellationToken)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(image);
        try
        {
            var content = image.NativeAot
                ? await PublishNativeAotAsync(image, notifications, logger, cancellationToken).ConfigureAwait(false)
                : await BuildOutputAsync(image, notifications, logger, cancellationToken).ConfigureAwait(false);

            await PublishAsync(notifications, image, new ResourceStateSnapshot("Registering", KnownResourceStateStyles.Info)).ConfigureAwait(false);
            await using var client = await CreateClientAsync(image.Parent, services, cancellationToken).ConfigureAwait(false);
            long size;
            await using (var archive = await ImageArchive.CreateAsync(content.Folder, cancellationToken).ConfigureAwait(false))
            {
                size = new FileInfo(archive.Path).Length;
                image.ImageId = await client.RegisterImageFromFileAsync(archive.Path, new RegisterImageOptions
                {
                    Name = image.Name,
                    Entrypoint = content.Entrypoint,
                    Description = content.Description,
                }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            Log.ImageRegistered(logger, image.Name, image.ImageId, size, content.Entrypoint ?? content.Program);
            await PublishAsync(notifications, image, new ResourceStateSnapshot("Registered", KnownResourceStateStyles.Success), (ImageIdProperty, image.ImageId)).ConfigureAwait(false);
            await ScheduleRegistration.RegisterAsync(image, client, notifications, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A broken sample must not take the AppHost down: the dashboard shows it failed, with the reason in its log.
            Log.ImageFailed(logger, image.Name, ex);
            await PublishAsync(notifications, image, new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error)).ConfigureAwait(false);
            return;
        }

        InstanceWatcher.Start(image, services);
        if (image.StartOnRegistration)
        {
            await StartInstanceAsync(image, services, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts an instance of the image with its configured input and follows its status.</summary>
    public static async Task<string> StartInstanceAsync(RuntaraImageResource image, IServiceProvider services, CancellationToken cancellationToken)
    {
        var imageId = image.ImageId ?? throw new InvalidOperationException($"The image '{image.Name}' is not registered yet.");
        string instanceId;
        await using (var client = await CreateClientAsync(image.Parent, services, cancellationToken).ConfigureAwait(false))
        {
            instanceId = await client.StartInstanceAsync(new StartInstanceOptions { ImageId = imageId, Input = image.Input }, cancellationToken).ConfigureAwait(false);
        }

        image.LatestInstanceId = instanceId;
        Log.InstanceStarted(services.GetRequiredService<ResourceLoggerService>().GetLogger(image), image.Name, instanceId);
        await PublishAsync(services.GetRequiredService<ResourceNotificationService>(), image, StateOf(InstanceStatus.Pending), (InstanceIdProperty, instanceId)).ConfigureAwait(false);
        image.Watcher?.Poke();
        return instanceId;
    }

    /// <summary>Pauses, resumes or cancels the latest instance started from the AppHost.</summary>
    public static async Task<string> ControlLatestAsync(RuntaraImageResource image, IServiceProvider services, Func<RuntaraManagementClient, string, CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        var instanceId = image.LatestInstanceId ?? throw new InvalidOperationException($"No instance of '{image.Name}' was started from the AppHost yet.");
        await using var client = await CreateClientAsync(image.Parent, services, cancellationToken).ConfigureAwait(false);
        await action(client, instanceId, cancellationToken).ConfigureAwait(false);
        image.Watcher?.Poke();
        return instanceId;
    }

    /// <summary>A management client for the environment: its allocated port on 127.0.0.1 (as in its connection string), its development certificate pinned, the AppHost's API key.</summary>
    public static async Task<RuntaraManagementClient> CreateClientAsync(RuntaraEnvironmentResource environment, IServiceProvider services, CancellationToken cancellationToken) =>
        new(new ManagementClientOptions
        {
            Address = $"{RuntaraHostingExtensions.ProtocolHost}:{environment.ProtocolEndpoint.Port}",
            PinnedCertificatePath = environment.CertificatePath,
            TenantId = environment.TenantId,
            ApiKey = await environment.ApiKey.GetValueAsync(cancellationToken).ConfigureAwait(false),
        }, services.GetService<ILoggerFactory>()?.CreateLogger<RuntaraManagementClient>());

    /// <summary>The project's build output folder, with its entry assembly as entrypoint.</summary>
    private static async Task<ImageContent> BuildOutputAsync(RuntaraImageResource image, ResourceNotificationService notifications, ILogger logger, CancellationToken cancellationToken)
    {
        await PublishAsync(notifications, image, new ResourceStateSnapshot("Building", KnownResourceStateStyles.Info)).ConfigureAwait(false);
        Log.ImageBuilding(logger, image.Name, image.ProjectPath);
        var targetPath = await ProjectOutput.ResolveAsync(image.ProjectPath, cancellationToken).ConfigureAwait(false);
        var entrypoint = Path.GetFileName(targetPath);
        return new(Path.GetDirectoryName(targetPath)!, entrypoint, entrypoint, $"Build output of {Path.GetFileName(image.ProjectPath)}, registered by the AppHost");
    }

    /// <summary>The project's native AOT publish, registered without an entrypoint: the environment finds its only native executable.</summary>
    private static async Task<ImageContent> PublishNativeAotAsync(RuntaraImageResource image, ResourceNotificationService notifications, ILogger logger, CancellationToken cancellationToken)
    {
        var directory = image.PublishDirectory!;
        await PublishAsync(notifications, image, new ResourceStateSnapshot(PublishingState, KnownResourceStateStyles.Info), (PublishDirectoryProperty, directory)).ConfigureAwait(false);
        Log.ImagePublishing(logger, image.Name, image.ProjectPath, NativeAotPublish.RuntimeIdentifier, directory);
        var started = Stopwatch.GetTimestamp();
        var program = await NativeAotPublish.PublishAsync(image.ProjectPath, directory, cancellationToken).ConfigureAwait(false);
        Log.ImagePublished(logger, image.Name, Stopwatch.GetElapsedTime(started).TotalSeconds, program);
        return new(directory, null, program, $"Native AOT publish ({NativeAotPublish.RuntimeIdentifier}) of {Path.GetFileName(image.ProjectPath)}, registered by the AppHost");
    }

    /// <summary>An instance status as a dashboard state, styled by how it ended or waits.</summary>
    internal static ResourceStateSnapshot StateOf(InstanceStatus status) => new(status.ToString(), status switch
    {
        InstanceStatus.Completed or InstanceStatus.Running => KnownResourceStateStyles.Success,
        InstanceStatus.Failed => KnownResourceStateStyles.Error,
        InstanceStatus.Cancelled or InstanceStatus.Suspended => KnownResourceStateStyles.Warn,
        _ => KnownResourceStateStyles.Info,
    });

    private static Task PublishAsync(ResourceNotificationService notifications, RuntaraImageResource image, ResourceStateSnapshot state, params (string Name, string? Value)[] properties) =>
        notifications.PublishUpdateAsync(image, snapshot => snapshot with
        {
            State = state,
            Properties = With(snapshot.Properties, properties),
        });

    /// <summary><paramref name="current"/> with each property set, or removed when its value is null.</summary>
    internal static ImmutableArray<ResourcePropertySnapshot> With(ImmutableArray<ResourcePropertySnapshot> current, params (string Name, string? Value)[] properties)
    {
        foreach (var (name, value) in properties)
        {
            current = value is null ? [.. current.Where(p => p.Name != name)] : [.. current.Where(p => p.Name != name), new ResourcePropertySnapshot(name, value)];
        }

        return current;
    }

    /// <summary>What is registered: a folder, the entrypoint to declare (null: the environment infers it), the program that runs.</summary>
    private sealed record ImageContent(string Folder, string? Entrypoint, string Program, string Description);
}

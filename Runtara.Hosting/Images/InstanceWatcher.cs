using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Diagnostics;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Aspire.Hosting.Images;

/// <summary>
/// Follows the recent instances of one registered image for the dashboard: one <c>ListInstances</c>
/// (the latest <see cref="Shown"/>) every <see cref="ActiveInterval"/> while any of them is pending or
/// running, every <see cref="IdleInterval"/> otherwise (or at once after a command), plus <c>GetInstanceStatus</c>
/// for an instance the first time it is seen (its parent) and for each SUSPENDED one (what it waits for).
/// Each instance is a <see cref="RuntaraInstanceResource"/> under the image; one that leaves the latest
/// <see cref="Shown"/> is hidden. The image's own state follows its latest instance started from the AppHost.
/// The poll is background work: no spans, outside whichever trace started the AppHost's work.
/// </summary>
internal sealed class InstanceWatcher
{
    /// <summary>How many of the newest instances the dashboard lists under an image.</summary>
    public const int Shown = 20;

    public const string InstanceResourceType = "RuntaraInstance";
    public const string StatusProperty = "runtara.instance.status";
    public const string WaitingProperty = "runtara.instance.waiting";
    public const string ParentIdProperty = "runtara.instance.parent-id";
    public const string ImageNameProperty = "runtara.image.name";

    // Aspire's own name for the parent property that nests a resource under another in the dashboard
    // (KnownProperties.Resource.ParentName, internal to Aspire); the orchestrator sets it only for the
    // resources of the built model, so instances created later set it themselves.
    private const string ParentNameProperty = "resource.parentName";

    public static readonly TimeSpan ActiveInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan IdleInterval = TimeSpan.FromSeconds(10);

    private readonly RuntaraImageResource _image;
    private readonly IServiceProvider _services;
    private readonly ResourceNotificationService _notifications;
    private readonly ResourceLoggerService _loggers;
    private readonly Dictionary<string, Tracked> _instances = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _poke = new(0, 1);
    private string? _imageStateOf;
    private InstanceStatus? _imageState;
    private bool _failing;

    private InstanceWatcher(RuntaraImageResource image, IServiceProvider services)
    {
        _image = image;
        _services = services;
        _notifications = services.GetRequiredService<ResourceNotificationService>();
        _loggers = services.GetRequiredService<ResourceLoggerService>();
    }

    /// <summary>Starts following <paramref name="image"/> (once) until the AppHost stops.</summary>
    public static void Start(RuntaraImageResource image, IServiceProvider services)
    {
        if (image.Watcher is not null)
        {
            return;
        }

        var watcher = new InstanceWatcher(image, services);
        image.Watcher = watcher;
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(() => watcher.RunAsync(stopping), CancellationToken.None);
    }

    /// <summary>Polls now rather than at the next interval (after a start or a command).</summary>
    public void Poke()
    {
        try
        {
            _poke.Release();
        }
        catch (SemaphoreFullException)
        {
            // A poll is already due.
        }
    }

    /// <summary>
    /// The dashboard name of an instance's resource: <c>&lt;image&gt;-&lt;first 8 hex digits&gt;</c> for a UUID,
    /// else <c>&lt;image&gt;-&lt;id&gt;</c> with characters other than letters, digits and '-' replaced by '-';
    /// the whole id when that name is taken by another instance.
    /// </summary>
    public static string ResourceName(string imageName, string instanceId, ISet<string> taken)
    {
        var id = Guid.TryParse(instanceId, out var guid) ? guid.ToString("N")[..8] : Sanitize(instanceId);
        var name = $"{imageName}-{id}";
        if (taken.Contains(name))
        {
            name = $"{imageName}-{Sanitize(instanceId)}";
            for (var n = 2; taken.Contains(name); n++)
            {
                name = $"{imageName}-{Sanitize(instanceId)}-{n}";
            }
        }

        return name;

        static string Sanitize(string text) => new([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-')]);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Housekeeping: no spans, and never part of the trace of the command that started an instance
        // (an earlier per-instance poll added three spans a second to that trace).
        using var background = BackgroundWork.Begin();
        var logger = _loggers.GetLogger(_image);
        try
        {
            await using var client = await ImageOperations.CreateClientAsync(_image.Parent, _services, cancellationToken).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                var active = true;
                try
                {
                    active = await PollAsync(client, cancellationToken).ConfigureAwait(false);
                    if (_image.Annotations.OfType<RuntaraScheduleAnnotation>().Any())
                    {
                        // A fire moves the next fire time on: keep the dashboard's in step.
                        await ScheduleRegistration.RefreshAsync(_image, client, _notifications, cancellationToken).ConfigureAwait(false);
                    }
                    _failing = false;
                }
                catch (ManagementException ex)
                {
                    if (!_failing)
                    {
                        Log.InstancesPollFailed(logger, _image.Name, ex);
                        _failing = true;
                    }
                }

                await _poke.WaitAsync(active ? ActiveInterval : IdleInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <returns>True while an instance may change soon (one is pending or running, or one just started is not listed yet).</returns>
    private async Task<bool> PollAsync(RuntaraManagementClient client, CancellationToken cancellationToken)
    {
        var imageId = _image.ImageId!;
        var list = await client.ListInstancesAsync(new ListInstancesOptions { ImageId = imageId, Limit = Shown, Order = InstanceOrder.CreatedAtDesc }, cancellationToken).ConfigureAwait(false);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var active = false;
        foreach (var summary in list.Instances)
        {
            listed.Add(summary.InstanceId);
            var isNew = !_instances.TryGetValue(summary.InstanceId, out var tracked);
            if (tracked is null)
            {
                var name = ResourceName(_image.Name, summary.InstanceId, _names);
                _names.Add(name);
                var resource = new RuntaraInstanceResource(name, _image, summary.InstanceId);
                InstanceCommands.AddTo(resource);
                tracked = new Tracked(resource);
                _instances[summary.InstanceId] = tracked;
            }

            // Pending and running instances change by themselves; a suspended one waits for a signal, a child or
            // a time (a dashboard command pokes the poll), so it only needs the idle pace.
            active |= summary.Status is InstanceStatus.Pending or InstanceStatus.Running;

            // Details only where they tell more than the list: once for the parent, and while suspended for the wait.
            InstanceInfo? details = null;
            if (isNew || summary.Status == InstanceStatus.Suspended)
            {
                try
                {
                    details = await client.GetInstanceAsync(summary.InstanceId, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (InstanceNotFoundException)
                {
                    // Deleted between the list and now: the next list drops it.
                }
            }

            await PublishAsync(tracked, summary, details).ConfigureAwait(false);
            if (summary.InstanceId == _image.LatestInstanceId)
            {
                await PublishImageStateAsync(summary.InstanceId, tracked.Resource.Status).ConfigureAwait(false);
            }
        }

        foreach (var (id, tracked) in _instances)
        {
            if (!listed.Contains(id) && !tracked.Hidden)
            {
                tracked.Hidden = true;
                await _notifications.PublishUpdateAsync(tracked.Resource, s => s with { IsHidden = true }).ConfigureAwait(false);
            }
        }

        // Started from the AppHost a moment ago and not listed yet: look again soon.
        return active || (_image.LatestInstanceId is { } latest && !listed.Contains(latest));
    }

    private async Task PublishAsync(Tracked tracked, InstanceSummaryInfo summary, InstanceInfo? details)
    {
        var resource = tracked.Resource;
        var status = details?.Status ?? summary.Status;
        var waiting = details is not null ? details.DescribeWait() : status == InstanceStatus.Suspended ? resource.Waiting : null;
        tracked.ParentId ??= details?.ParentId;
        var changed = !tracked.Published || resource.Status != status || resource.Waiting != waiting;
        resource.Status = status;
        resource.Waiting = waiting;
        if (changed && tracked.Published)
        {
            Log.InstanceStatus(_loggers.GetLogger(resource.Name), _image.Name, resource.InstanceId, waiting is null ? status.ToString() : $"{status} ({waiting})");
        }

        tracked.Published = true;
        tracked.Hidden = false;
        await _notifications.PublishUpdateAsync(resource, s => s with
        {
            ResourceType = InstanceResourceType,
            State = StateOf(status, waiting),
            IsHidden = false,
            CreationTimeStamp = summary.CreatedAt.UtcDateTime,
            StartTimeStamp = summary.StartedAt?.UtcDateTime,
            StopTimeStamp = status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled ? summary.FinishedAt?.UtcDateTime : null,
            Properties = ImageOperations.With(s.Properties,
                (ParentNameProperty, _image.Name),
                (ImageOperations.InstanceIdProperty, resource.InstanceId),
                (ImageNameProperty, _image.Name),
                (StatusProperty, status.ToString()),
                (WaitingProperty, waiting),
                (ParentIdProperty, tracked.ParentId)),
        }).ConfigureAwait(false);
    }

    private async Task PublishImageStateAsync(string instanceId, InstanceStatus status)
    {
        if (_imageStateOf == instanceId && _imageState == status)
        {
            return;
        }

        _imageStateOf = instanceId;
        _imageState = status;
        Log.InstanceStatus(_loggers.GetLogger(_image), _image.Name, instanceId, status.ToString());
        await _notifications.PublishUpdateAsync(_image, s => s with { State = ImageOperations.StateOf(status) }).ConfigureAwait(false);
    }

    /// <summary>The instance's status, and for a suspended one what it waits for: <c>Suspended: waiting for signal approve</c>.</summary>
    internal static ResourceStateSnapshot StateOf(InstanceStatus status, string? waiting)
    {
        var state = ImageOperations.StateOf(status);
        return waiting is null || status != InstanceStatus.Suspended ? state : state with { Text = $"{state.Text}: {waiting}" };
    }

    private sealed class Tracked(RuntaraInstanceResource resource)
    {
        public RuntaraInstanceResource Resource { get; } = resource;

        public string? ParentId { get; set; }

        public bool Published { get; set; }

        public bool Hidden { get; set; }
    }
}

using Runtara.Protocol.Contracts;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// One of the recent instances of an image (the latest 20), shown in the dashboard as a child of its
/// image with its status and what it waits for, and with commands that act on this instance (pause,
/// resume, cancel, send a signal). Created by the AppHost while it follows the image's instances; not
/// part of the application model that is built.
/// </summary>
public sealed class RuntaraInstanceResource : Resource, IResourceWithParent<RuntaraImageResource>
{
    internal RuntaraInstanceResource(string name, RuntaraImageResource image, string instanceId)
        : base(name)
    {
        Parent = image;
        InstanceId = instanceId;
    }

    /// <summary>The image the instance runs.</summary>
    public RuntaraImageResource Parent { get; }

    /// <summary>The instance's id in the environment.</summary>
    public string InstanceId { get; }

    /// <summary>Its status when last polled.</summary>
    public InstanceStatus Status { get; internal set; } = InstanceStatus.Pending;

    /// <summary>What it waited for when last polled, in words (e.g. <c>waiting for signal approve</c>); null when nothing.</summary>
    public string? Waiting { get; internal set; }
}

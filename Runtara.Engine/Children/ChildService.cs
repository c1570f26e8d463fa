using Microsoft.Extensions.Logging;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;
using Runtara.Engine.Waits;

namespace Runtara.Engine.Children;

/// <summary>
/// StartChild (docs/protocol.md "Child instances"): records once per (parent, key) a PENDING child in
/// the parent's tenant, with the image and input to start it with. The core starts no process: the
/// environment takes the record through ListDueWakeups and starts the child as it starts any instance
/// (its quotas apply). Awaiting children is a durable wait (<see cref="WaitService"/>).
/// </summary>
internal sealed class ChildService(ICoreStore store, WakeupNotifier notifier, TimeProvider time, ILogger<ChildService> logger)
{
    /// <summary>Longest image reference accepted.</summary>
    public const int MaxImageLength = 512;

    /// <summary>Longest child key accepted (the SDK's step-key limit).</summary>
    public const int MaxKeyLength = 512;

    public async Task<ChildStartOutcome> StartAsync(string parentId, string key, string image, byte[] input, bool detached, int maxInputSize, long incarnation, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(parentId, "instance_id");
        CoreValidationException.ThrowIfEmpty(key, "key");
        CoreValidationException.ThrowIfEmpty(image, "image");
        ArgumentNullException.ThrowIfNull(input);
        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            throw new CoreValidationException("key", $"must be 1-{MaxKeyLength} characters without control characters");
        }

        if (image.Length > MaxImageLength || image.Any(char.IsControl))
        {
            throw new CoreValidationException("image", $"must be 1-{MaxImageLength} characters without control characters");
        }

        if (input.Length > maxInputSize)
        {
            throw new PayloadTooLargeException("input", input.Length, maxInputSize);
        }

        var outcome = await store.WriteAsync("start_child", async (writer, token) =>
        {
            var parent = await writer.GetInstanceAsync(parentId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(parentId);
            IncarnationFence.Ensure(parent, incarnation);
            InstanceStateMachine.Ensure(parent, InstanceStateMachine.RunningOnly, "starting a child");
            if (await writer.GetChildIdAsync(parentId, key, token).ConfigureAwait(false) is { } existing)
            {
                return new ChildStartOutcome(existing, false);
            }

            var childId = ChildIds.Derive(parentId, key);
            if (await writer.GetInstanceAsync(childId, token).ConfigureAwait(false) is not null)
            {
                throw new CoreValidationException("key", $"the child id '{childId}' is taken by an instance that is not this parent's child");
            }

            var now = time.NowMs();
            await writer.InsertInstanceAsync(new InstanceRecord { InstanceId = childId, TenantId = parent.TenantId, Status = InstanceStatus.Pending, CreatedAtMs = now }, token).ConfigureAwait(false);
            await writer.InsertChildAsync(new ChildRecord(childId, parentId, key, image, input, detached, now), token).ConfigureAwait(false);
            await writer.TouchInstanceAsync(parentId, now, token).ConfigureAwait(false);
            await writer.NotifyWakeupAsync(token).ConfigureAwait(false);
            return new ChildStartOutcome(childId, true);
        }, cancellationToken).ConfigureAwait(false);

        if (outcome.Created)
        {
            EngineTelemetry.RecordStatusChange(InstanceStatus.Pending);
            Log.ChildRecorded(logger, parentId, outcome.ChildId, image);
            notifier.Pulse();
        }

        return outcome;
    }
}

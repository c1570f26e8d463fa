using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Storage;

namespace Runtara.Engine.Waits;

/// <summary>
/// What follows when an instance reaches a terminal status, inside the same transaction: a parent
/// suspended on its children becomes due once all of them ended, and a cancelled instance cancels the
/// children it did not detach (pending and suspended ones at once, running ones by a CANCEL signal they
/// acknowledge). Every writer of a terminal status calls <see cref="OnEndedAsync"/>.
/// </summary>
internal static class InstanceEndings
{
    // Deep enough for any sane tree of children; a guard against a cycle made by hand in the database.
    private const int MaxDepth = 64;

    /// <summary>Call after writing <paramref name="status"/>; true when an instance became due (pulse the <see cref="WakeupNotifier"/> after commit).</summary>
    public static async ValueTask<bool> OnEndedAsync(IStoreWriter writer, string instanceId, InstanceStatus status, long nowMs, CancellationToken cancellationToken)
    {
        var due = false;
        if (await writer.GetParentIdAsync(instanceId, cancellationToken).ConfigureAwait(false) is { } parentId)
        {
            due = await WakeIfChildrenEndedAsync(writer, parentId, instanceId, nowMs, cancellationToken).ConfigureAwait(false);
            if (due)
            {
                await writer.NotifyWakeupAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (status == InstanceStatus.Cancelled)
        {
            await CancelChildrenAsync(writer, instanceId, nowMs, depth: 0, cancellationToken).ConfigureAwait(false);
        }

        return due;
    }

    private static async ValueTask<bool> WakeIfChildrenEndedAsync(IStoreWriter writer, string parentId, string childId, long nowMs, CancellationToken cancellationToken)
    {
        var parent = await writer.GetInstanceAsync(parentId, cancellationToken).ConfigureAwait(false);
        if (parent is not { Status: InstanceStatus.Suspended } || WaitPoint.Parse(parent.WaitingFor) is not { } wait || !wait.Children.Contains(childId))
        {
            return false;
        }

        if (await WaitService.CollectChildEndsAsync(writer, wait.Children, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        await writer.UpdateInstanceAsync(parent with { SleepUntilMs = nowMs, WakeLeaseUntilMs = null }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static async ValueTask CancelChildrenAsync(IStoreWriter writer, string parentId, long nowMs, int depth, CancellationToken cancellationToken)
    {
        if (depth >= MaxDepth)
        {
            return;
        }

        foreach (var (childId, status) in await writer.ListAttachedChildrenAsync(parentId, cancellationToken).ConfigureAwait(false))
        {
            if (status.IsTerminal())
            {
                continue;
            }

            var reason = $"Cancelled with its parent '{parentId}'";
            if (status == InstanceStatus.Running)
            {
                // Its process acknowledges the CANCEL at its next checkpoint or poll, then ends CANCELLED
                // (and cancels its own children then).
                await writer.UpsertPendingSignalAsync(new PendingSignal(childId, SignalKind.Cancel, System.Text.Encoding.UTF8.GetBytes(reason), nowMs), cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Pending or suspended: no process to tell.
            var child = await writer.GetInstanceAsync(childId, cancellationToken).ConfigureAwait(false);
            if (child is null)
            {
                continue;
            }

            await writer.UpdateInstanceAsync(child with
            {
                Status = InstanceStatus.Cancelled,
                FinishedAtMs = nowMs,
                Error = reason,
                Output = null,
                SleepUntilMs = null,
                WakeLeaseUntilMs = null,
                WaitingFor = null,
            }, cancellationToken).ConfigureAwait(false);
            await CancelChildrenAsync(writer, childId, nowMs, depth + 1, cancellationToken).ConfigureAwait(false);
        }
    }
}

using Microsoft.Extensions.Options;
using Runtara.Engine.Children;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;

namespace Runtara.Engine.Waits;

/// <summary>What is due for an environment: instances to relaunch and children to start.</summary>
public sealed record DueWork(IReadOnlyList<DueWakeup> Wakeups, IReadOnlyList<ChildStart> ChildStarts)
{
    /// <summary>True when there is nothing to do.</summary>
    public bool IsEmpty => Wakeups.Count == 0 && ChildStarts.Count == 0;
}

/// <summary>
/// ListDueWakeups (management): suspended instances whose wake-up time passed (a sleep's, a wait's
/// deadline, or "now" once a signal or the children's ends made a wait due) and recorded children
/// not yet started, both leased so that two environments never take the same one. As a long poll it
/// answers as soon as something becomes due: at once when this core made it due
/// (<see cref="WakeupNotifier"/>), at the earliest stored wake-up time otherwise, and at the latest
/// after <see cref="EngineOptions.DueWorkRecheckInterval"/> (another core's change on a shared database).
/// </summary>
internal sealed class DueWorkService(ICoreStore store, WakeupNotifier notifier, TimeProvider time, IOptions<EngineOptions> options)
{
    private readonly TimeSpan _recheck = options.Value.DueWorkRecheckInterval;

    public async Task<DueWork> ClaimAsync(int limit, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + wait;
        while (true)
        {
            // Taken before looking, so a pulse between the look and the wait is not missed.
            var pulse = notifier.Next;
            var work = await ClaimOnceAsync(limit, lease, cancellationToken).ConfigureAwait(false);
            var left = until - time.GetUtcNow();
            if (!work.IsEmpty || left <= TimeSpan.Zero)
            {
                return work;
            }

            var delay = left < _recheck ? left : _recheck;
            if (await store.GetNextWakeAtAsync(cancellationToken).ConfigureAwait(false) is { } next)
            {
                var untilNext = TimeSpan.FromMilliseconds(Math.Max(0, next - time.NowMs()));
                delay = untilNext < delay ? untilNext : delay;
            }

            // A wake-up leased by another caller keeps the next wake-up time in the past: poll it at the recheck pace, not in a loop.
            delay = delay < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : delay;
            await Task.WhenAny(pulse, Task.Delay(delay, time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private Task<DueWork> ClaimOnceAsync(int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        store.WriteAsync("list_due_wakeups", async (writer, token) =>
        {
            var now = time.NowMs();
            long? leaseUntil = lease > TimeSpan.Zero ? now + (long)lease.TotalMilliseconds : null;
            var wakeups = await writer.ClaimDueWakeupsAsync(now, limit, leaseUntil, token).ConfigureAwait(false);
            var starts = await writer.ClaimChildStartsAsync(now, limit, leaseUntil, token).ConfigureAwait(false);
            return new DueWork(wakeups, starts);
        }, cancellationToken);
}

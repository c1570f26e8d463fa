using Microsoft.Extensions.Options;
using Runtara.Engine.Children;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;

namespace Runtara.Engine.Waits;

/// <summary>What is due for an environment: instances to relaunch and children to start.</summary>
/// <param name="Wakeups">Instances to relaunch.</param>
/// <param name="ChildStarts">Children to start.</param>
/// <param name="Truncated">The answer's byte budget left due children for a later call (they are not leased).</param>
public sealed record DueWork(IReadOnlyList<DueWakeup> Wakeups, IReadOnlyList<ChildStart> ChildStarts, bool Truncated = false)
{
    /// <summary>True when there is nothing to do.</summary>
    public bool IsEmpty => Wakeups.Count == 0 && ChildStarts.Count == 0;
}

/// <summary>
/// ListDueWakeups (management): suspended instances whose wake-up time passed (a sleep's, a wait's
/// deadline, or "now" once a signal or the children's ends made a wait due) and recorded children
/// not yet started, both leased so that two environments never take the same one. As a long poll it
/// answers as soon as something becomes due: at once when this core or another core of a shared
/// PostgreSQL database made it due (<see cref="WakeupNotifier"/>, fed by NOTIFY there), at the earliest
/// stored wake-up time otherwise, and at the latest after <see cref="EngineOptions.DueWorkRecheckInterval"/>.
/// </summary>
internal sealed class DueWorkService(ICoreStore store, WakeupNotifier notifier, TimeProvider time, IOptions<EngineOptions> options)
{
    // The largest a wake-up can be in an answer (ids at their length limits, UTF-8 worst case, plus
    // field overhead): claiming at most budget / this many keeps every claimed wake-up in the answer.
    private const int MaxWakeupBytes = (3 * ((2 * CoreValidationException.MaxIdLength) + CoreValidationException.MaxNameLength)) + 64;

    private readonly TimeSpan _recheck = options.Value.DueWorkRecheckInterval;
    private readonly int _answerBytes = options.Value.MaxListAnswerBytes;

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
            // Only what fits the answer's byte budget is claimed (and leased): a claimed item left out
            // of the answer would wait for its lease to end.
            var wakeups = await writer.ClaimDueWakeupsAsync(now, Math.Max(1, Math.Min(limit, _answerBytes / MaxWakeupBytes)), leaseUntil, token).ConfigureAwait(false);
            var left = _answerBytes - 64 - ((long)wakeups.Count * MaxWakeupBytes);
            if (wakeups.Count > 0 && left <= 0)
            {
                return new DueWork(wakeups, [], Truncated: true);
            }

            var (starts, cut) = await writer.ClaimChildStartsAsync(now, limit, left, atLeastOne: wakeups.Count == 0, leaseUntil, token).ConfigureAwait(false);
            return new DueWork(wakeups, starts, cut);
        }, cancellationToken);
}

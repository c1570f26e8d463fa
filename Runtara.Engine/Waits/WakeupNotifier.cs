namespace Runtara.Engine.Waits;

/// <summary>
/// Tells long-polling ListDueWakeups callers in this process that something may have become due (a
/// signal reached a waiting instance, a child ended, a child was recorded). Callers take
/// <see cref="Next"/> before they look, then wait on it, so a pulse between the look and the wait is
/// not missed. Pulses are sent after the change committed. On PostgreSQL the change's transaction also
/// notifies the other cores of the database, whose listener pulses their notifier
/// (<see cref="Storage.Postgres.PostgresWakeupListener"/>).
/// </summary>
public sealed class WakeupNotifier
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>Completes at the next <see cref="Pulse"/>.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Wakes every caller waiting on the current <see cref="Next"/>.</summary>
    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

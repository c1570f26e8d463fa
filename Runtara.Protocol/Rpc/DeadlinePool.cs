namespace Runtara.Protocol.Rpc;

/// <summary>
/// A client's deadline timers, reused from call to call: a call borrows a cancellation source whose
/// timer is re-armed, and links the caller's token to it with a registration. Creating a linked source
/// and a timer per call instead allocated both (and the registration) on every RPC.
/// </summary>
internal sealed class DeadlinePool
{
    // Enough for the calls in flight at once of any realistic client; extras are simply dropped.
    private const int MaxIdle = 256;

    private readonly Stack<Deadline> _idle = new();

    /// <summary>A source cancelled after <paramref name="timeout"/> or when <paramref name="linked"/> is; give it back with <see cref="Return"/>.</summary>
    public Deadline Rent(TimeSpan timeout, CancellationToken linked)
    {
        Deadline? deadline;
        lock (_idle)
        {
            _idle.TryPop(out deadline);
        }

        deadline ??= new Deadline();
        deadline.Arm(timeout, linked);
        return deadline;
    }

    /// <summary>Disarms it for reuse; one that fired (or was cancelled through the link) is discarded.</summary>
    public void Return(Deadline deadline)
    {
        if (deadline.TryDisarm())
        {
            lock (_idle)
            {
                if (_idle.Count < MaxIdle)
                {
                    _idle.Push(deadline);
                    return;
                }
            }
        }

        deadline.Dispose();
    }

    /// <summary>One reusable deadline: a cancellation source, its timer, and the link to the caller's token.</summary>
    internal sealed class Deadline : IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private CancellationTokenRegistration _link;

        public CancellationToken Token => _source.Token;

        public void Arm(TimeSpan timeout, CancellationToken linked)
        {
            // The timer first: an out-of-range timeout throws before anything is linked.
            _source.CancelAfter(timeout);
            if (linked.CanBeCanceled)
            {
                _link = linked.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), _source);
            }
        }

        /// <summary>Unlinks (waiting for a link callback that is running) and stops the timer; false when the source was cancelled.</summary>
        public bool TryDisarm()
        {
            _link.Dispose();
            _link = default;
            return _source.TryReset();
        }

        public void Dispose()
        {
            _link.Dispose();
            _source.Dispose();
        }
    }
}

using System.Threading.Tasks.Sources;

namespace Runtara.Threading;

/// <summary>
/// The core of a value-task source that several racers may complete (an answer, a failure, the
/// waiter's cancellation): the first wins and the others are ignored. Continuations run off the
/// winner's thread. A mutable struct, as <see cref="ManualResetValueTaskSourceCore{TResult}"/> is:
/// keep it in a field that is not readonly and call it there.
/// </summary>
/// <typeparam name="TResult">The result the waiter gets.</typeparam>
public struct FirstWinsValueTaskSourceCore<TResult>
{
    private ManualResetValueTaskSourceCore<TResult> _core;
    private int _settled;

    /// <summary>A core whose continuations run asynchronously.</summary>
    public FirstWinsValueTaskSourceCore() => _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>The version a waiter's value task must carry.</summary>
    public short Version => _core.Version;

    /// <summary>Completes with <paramref name="result"/> unless a racer completed first.</summary>
    /// <returns>True when this call completed it.</returns>
    public bool TrySetResult(TResult result)
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return false;
        }

        _core.SetResult(result);
        return true;
    }

    /// <summary>Fails with <paramref name="error"/> unless a racer completed first.</summary>
    /// <returns>True when this call completed it.</returns>
    public bool TrySetException(Exception error)
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return false;
        }

        _core.SetException(error);
        return true;
    }

    /// <summary>The result, or the failure thrown (see <see cref="IValueTaskSource{TResult}.GetResult"/>).</summary>
    public TResult GetResult(short token) => _core.GetResult(token);

    /// <summary>See <see cref="IValueTaskSource{TResult}.GetStatus"/>.</summary>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <summary>See <see cref="IValueTaskSource{TResult}.OnCompleted"/>.</summary>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Makes it ready for another wait (a new version); only once the last waiter took its result.</summary>
    public void Reset()
    {
        _core.Reset();
        _settled = 0;
    }
}

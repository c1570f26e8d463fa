using System.Runtime.CompilerServices;

namespace Runtara.Protocol.Transport;

/// <summary>
/// Inline socket completions: with <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> the runtime runs
/// a socket's continuations on its own epoll threads instead of handing each one to the thread pool
/// (one thread hand-off less per received frame). The core turns it on; whatever may block or run
/// caller code leaves those threads first (<see cref="LeaveAsync"/>), because a blocked epoll thread
/// stalls every connection it serves.
/// </summary>
public static class SocketThreads
{
    /// <summary>The runtime's switch; read once, when the first socket is created.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline completions on for this process unless the variable is already set (an operator's "0" wins). Call before the first socket is created.</summary>
    public static void EnableInlineCompletions()
    {
        if (System.Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            System.Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }

    /// <summary>
    /// Awaiting it continues on the thread pool: at once, with no hand-off and no allocation, on a pool
    /// thread; queued to the pool from any other thread (a socket engine thread under inline completions).
    /// Never posts to a synchronization context, so a caller blocking on the result cannot deadlock.
    /// </summary>
    public static ThreadPoolHop LeaveAsync() => default;

    /// <summary>The awaitable of <see cref="LeaveAsync"/>.</summary>
    public readonly struct ThreadPoolHop : ICriticalNotifyCompletion
    {
        /// <summary>True on a thread-pool thread, where the continuation can run at once.</summary>
        public bool IsCompleted => Thread.CurrentThread.IsThreadPoolThread;

        /// <summary>Returns this awaitable as its own awaiter.</summary>
        public ThreadPoolHop GetAwaiter() => this;

        /// <summary>Does nothing; the hop has no result.</summary>
        public void GetResult()
        {
        }

        /// <summary>Queues <paramref name="continuation"/> to the thread pool, flowing the execution context.</summary>
        /// <param name="continuation">The code after the <c>await</c>.</param>
        public void OnCompleted(Action continuation) =>
            ThreadPool.QueueUserWorkItem(static run => run(), continuation, preferLocal: false);

        /// <summary>Queues <paramref name="continuation"/> to the thread pool without flowing the execution context.</summary>
        /// <param name="continuation">The code after the <c>await</c>.</param>
        public void UnsafeOnCompleted(Action continuation) =>
            ThreadPool.UnsafeQueueUserWorkItem(static run => run(), continuation, preferLocal: false);
    }
}

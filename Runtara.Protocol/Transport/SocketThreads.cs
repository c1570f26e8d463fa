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
    /// Continues on the thread pool when called on any other thread (a socket engine thread under
    /// inline completions); completes at once, with no hand-off, on a pool thread.
    /// </summary>
    public static ValueTask LeaveAsync() =>
        Thread.CurrentThread.IsThreadPoolThread ? ValueTask.CompletedTask : HopAsync();

    private static async ValueTask HopAsync() => await Task.Yield();
}

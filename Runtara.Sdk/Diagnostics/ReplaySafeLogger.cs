using Microsoft.Extensions.Logging;

namespace Runtara.Sdk.Diagnostics;

/// <summary>
/// A logger that stays silent while the workflow replays what earlier runs of the instance already
/// did, so each message is written once per instance rather than once per relaunch. It speaks from
/// the first operation this run does for the first time (<see cref="Workflows.InstanceRun.PastReplay"/>).
/// </summary>
internal sealed class ReplaySafeLogger(ILogger inner, Func<bool> pastReplay) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => pastReplay() && inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (pastReplay())
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}

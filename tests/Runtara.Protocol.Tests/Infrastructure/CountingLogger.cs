using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>
/// Counts a server's log events by name, at every level, without keeping their text: a fuzz run logs
/// thousands of bad frames, and keeping them would swamp the test's measure of the server's memory.
/// </summary>
public sealed class CountingLogger : ILogger
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    /// <summary>How many times the event (its <c>EventName</c>) was logged.</summary>
    public int Count(string eventName) => _counts.GetValueOrDefault(eventName);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _counts.AddOrUpdate(eventId.Name ?? $"event {eventId.Id}", 1, static (_, count) => count + 1);
}

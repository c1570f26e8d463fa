using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Runtara.Data.Tests.Infrastructure;

/// <summary>Keeps each log entry's level, event id and structured values, so tests match on those and not on text.</summary>
public sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : [];
        _entries.Enqueue(new Entry(logLevel, eventId, values));
    }

    public sealed record Entry(LogLevel Level, EventId EventId, IReadOnlyDictionary<string, object?> Values);
}

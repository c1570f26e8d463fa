using System.Globalization;
using System.Text;

namespace Runtara.Management;

/// <summary>
/// What a SUSPENDED instance waits for (<see cref="InstanceInfo.WaitingFor"/>): any of the named signals,
/// a number of child instances, a deadline, or several of these (the first one wins).
/// </summary>
/// <param name="SignalNames">The signals that end the wait (custom signal names, e.g. <c>approve</c>); empty when none.</param>
/// <param name="Deadline">When the wait times out (server clock, UTC); null when it has none.</param>
/// <param name="Children">How many child instances the wait awaits; 0 when none.</param>
/// <param name="ChildrenEnded">How many of those children have ended.</param>
public sealed record WaitingForInfo(IReadOnlyList<string> SignalNames, DateTimeOffset? Deadline, int Children, int ChildrenEnded)
{
    /// <summary>
    /// The wait in words, e.g. <c>waiting for signal approve until 2026-12-03T12:00:00Z</c>,
    /// <c>waiting for signal approve or reject</c>, <c>waiting for 3 children (1 ended)</c>,
    /// <c>waiting for signal cancel, or 2 children until 2026-12-03T12:00:00Z</c>,
    /// <c>waiting until 2026-12-03T12:00:00Z</c>. Times are UTC in ISO 8601.
    /// </summary>
    public string Describe()
    {
        var text = new StringBuilder("waiting");
        var parts = new List<string>(2);
        if (SignalNames.Count > 0)
        {
            parts.Add("signal " + Alternatives(SignalNames));
        }

        if (Children > 0)
        {
            var children = string.Create(CultureInfo.InvariantCulture, $"{Children} {(Children == 1 ? "child" : "children")}");
            parts.Add(ChildrenEnded > 0 ? string.Create(CultureInfo.InvariantCulture, $"{children} ({ChildrenEnded} ended)") : children);
        }

        if (parts.Count > 0)
        {
            // "signal approve or reject, or 3 children": the comma keeps the two kinds apart.
            text.Append(" for ").Append(string.Join(", or ", parts));
        }

        if (Deadline is { } deadline)
        {
            text.Append(" until ").Append(FormatTime(deadline));
        }

        return text.ToString();
    }

    /// <inheritdoc cref="Describe"/>
    public override string ToString() => Describe();

    /// <summary>A time as the descriptions write it: UTC, ISO 8601, whole seconds (<c>2026-12-03T12:00:00Z</c>).</summary>
    internal static string FormatTime(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary><c>a</c>, <c>a or b</c>, <c>a, b or c</c>.</summary>
    private static string Alternatives(IReadOnlyList<string> names) =>
        names.Count == 1 ? names[0] : $"{string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}";
}

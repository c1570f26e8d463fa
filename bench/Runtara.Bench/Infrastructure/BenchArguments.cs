using System.Globalization;

namespace Runtara.Bench.Infrastructure;

/// <summary><c>--name value</c> options of a command, with typed getters and clear errors.</summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    public BenchArguments(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var key = args[i];
            if (!key.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Expected '--option value', got '{key}'.");
            }

            _values[key[2..]] = args[++i];
        }
    }

    public string GetString(string name, string defaultValue)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value : defaultValue;
    }

    public int GetInt(string name, int defaultValue)
    {
        var text = GetString(name, defaultValue.ToString(CultureInfo.InvariantCulture));
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new ArgumentException($"--{name} must be a non-negative whole number, got '{text}'.");
    }

    public TEnum GetEnum<TEnum>(string name, TEnum defaultValue)
        where TEnum : struct, Enum
    {
        var text = GetString(name, defaultValue.ToString());
        return Enum.TryParse<TEnum>(text, ignoreCase: true, out var value)
            ? value
            : throw new ArgumentException($"--{name} must be one of {string.Join(", ", Enum.GetNames<TEnum>())}, got '{text}'.");
    }

    /// <summary>An on/off switch (<c>on</c>, <c>off</c>, <c>true</c>, <c>false</c>).</summary>
    public bool GetSwitch(string name, bool defaultValue)
    {
        var text = GetString(name, defaultValue ? "on" : "off");
        return text.ToLowerInvariant() switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            _ => throw new ArgumentException($"--{name} must be on or off, got '{text}'."),
        };
    }

    /// <summary>Fails on options the command did not read (typos).</summary>
    public void EnsureAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", unknown.Select(k => "--" + k))}.");
        }
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Runtara.Protocol.Contracts;

namespace Runtara.Management.Cli.Commands;

internal static partial class Format
{
    /// <summary>Removes ANSI escape sequences (CSI such as colours and cursor moves, OSC such as titles and links, and two-character escapes).</summary>
    public static string StripAnsi(string text) => text.Contains('\u001b', StringComparison.Ordinal) ? AnsiEscape().Replace(text, string.Empty) : text;

    public static string Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };

    public static string Status(InstanceStatus status) => status.ToString().ToLowerInvariant();

    [GeneratedRegex(@"\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial Regex AnsiEscape();
}

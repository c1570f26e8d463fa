using System.Globalization;

namespace Runtara.Environment.Runner;

/// <summary>Reads process facts from Linux <c>/proc</c>; every method answers null elsewhere or for vanished processes.</summary>
internal static class ProcFs
{
    /// <summary>USER_HZ: the unit of the times in <c>/proc/&lt;pid&gt;/stat</c> (100 on every mainstream Linux).</summary>
    private const long ClockTicksPerSecond = 100;

    /// <summary>Fields after the command name in <c>/proc/&lt;pid&gt;/stat</c>: state, utime, stime and starttime.</summary>
    public static (char State, long UserTicks, long SystemTicks, long StartTicks)? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may contain spaces: parse after the last ')'.
            var close = text.LastIndexOf(')');
            if (close < 0)
            {
                return null;
            }

            var fields = text[(close + 2)..].Split(' ');
            // fields[0] = state (field 3); utime = field 14, stime = 15, starttime = 22.
            return (fields[0][0],
                long.Parse(fields[11], CultureInfo.InvariantCulture),
                long.Parse(fields[12], CultureInfo.InvariantCulture),
                long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Start time of a live (not zombie) process, or null.</summary>
    public static long? LiveStartTicks(int pid) => ReadStat(pid) is { } stat && stat.State is not ('Z' or 'X') ? stat.StartTicks : null;

    /// <summary>CPU time (user + system) in microseconds.</summary>
    public static long? CpuUsageUsec(int pid) =>
        ReadStat(pid) is { } stat ? (stat.UserTicks + stat.SystemTicks) * (1_000_000 / ClockTicksPerSecond) : null;

    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long? PeakResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var value = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(value, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }

        return null;
    }

    /// <summary>The real user id of a process (first field of the <c>Uid:</c> line of <c>/proc/&lt;pid&gt;/status</c>).</summary>
    public static int? RealUserId(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return int.Parse(line["Uid:".Length..].Trim().Split('\t', ' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }

        return null;
    }

    /// <summary>The pids of the processes whose real user is <paramref name="uid"/>.</summary>
    public static IEnumerable<int> ProcessesOfUser(int uid)
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var entry in entries)
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && RealUserId(pid) == uid)
            {
                yield return pid;
            }
        }
    }
}

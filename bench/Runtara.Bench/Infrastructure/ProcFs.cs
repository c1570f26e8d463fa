using System.Globalization;

namespace Runtara.Bench.Infrastructure;

/// <summary>What Linux's /proc says about processes: resident memory, and which processes run a program.</summary>
internal static class ProcFs
{
    /// <summary>VmRSS of <paramref name="pid"/> in bytes (/proc/&lt;pid&gt;/status); null when it is gone or the line is missing.</summary>
    public static long? ResidentBytes(int pid) => StatusBytes(pid, "VmRSS");

    /// <summary>
    /// A size line of /proc/&lt;pid&gt;/status in bytes, e.g. <c>VmRSS</c>, <c>RssAnon</c> (heap, stacks:
    /// what a process allocated) or <c>RssFile</c> (mapped files: code); null when it is gone or the line is missing.
    /// </summary>
    public static long? StatusBytes(int pid, string field)
    {
        try
        {
            var prefix = field + ":";
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                // "VmRSS:     12345 kB"
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var kb = line[prefix.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>The machine's 1-minute load average (/proc/loadavg): whether other work shared the processors.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>The soft limit of open files of <paramref name="pid"/> (/proc/&lt;pid&gt;/limits, "Max open files"); null when unknown or unlimited.</summary>
    public static long? OpenFilesLimit(int pid)
    {
        try
        {
            // "Max open files            20000                20000                files"
            var line = File.ReadLines($"/proc/{pid}/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return long.TryParse(soft, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>How many file descriptors <paramref name="pid"/> has open (/proc/&lt;pid&gt;/fd); null when it is gone.</summary>
    public static int? OpenFiles(int pid)
    {
        try
        {
            return Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU time of <paramref name="pid"/> itself and of its children it has reaped (/proc/&lt;pid&gt;/stat
    /// utime+stime and cutime+cstime); null when it is gone. The environment reaps its instance
    /// processes, so its children's time is what the instances used.
    /// </summary>
    public static (TimeSpan Self, TimeSpan Children)? CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double Ticks(int field) => double.Parse(fields[field - 3], CultureInfo.InvariantCulture);
            // USER_HZ is 100 on Linux.
            return (TimeSpan.FromSeconds((Ticks(14) + Ticks(15)) / 100), TimeSpan.FromSeconds((Ticks(16) + Ticks(17)) / 100));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// How many processes run the executable <paramref name="fileName"/>: those whose /proc/&lt;pid&gt;/exe
    /// has that name, and zombies (no exe link left) whose command name (/proc/&lt;pid&gt;/comm, cut to 15
    /// bytes by the kernel) matches it.
    /// </summary>
    public static int CountProcesses(string fileName)
    {
        var comm = fileName.Length > 15 ? fileName[..15] : fileName;
        var count = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var pid = Path.GetFileName(directory);
            if (pid.Length == 0 || !char.IsAsciiDigit(pid[0]))
            {
                continue;
            }

            string? target;
            try
            {
                target = new FileInfo(Path.Combine(directory, "exe")).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A zombie has no exe link (and another user's process hides it): go by its name.
                target = null;
            }

            try
            {
                if (target is not null
                    ? Path.GetFileName(target.Replace(" (deleted)", string.Empty, StringComparison.Ordinal)) == fileName
                    : File.ReadAllText(Path.Combine(directory, "comm")).TrimEnd('\n') == comm)
                {
                    count++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone between the listing and the read.
            }
        }

        return count;
    }
}

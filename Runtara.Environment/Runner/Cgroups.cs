using System.Globalization;

namespace Runtara.Environment.Runner;

/// <summary>
/// One run's cgroup, given as its path below the hierarchy's root (<c>/runtara/…</c>): the process runner
/// creates it, sets its limits and puts the instance in it before it execs; an OCI runtime does the same
/// for a container. Both read it the same way afterwards: out-of-memory kills, the memory limit, and the
/// processes left in it (a run's stray children end with it). cgroup v1 (each controller mounted on its
/// own, the hybrid layout of Debian and Ubuntu) and v2 (unified) are both understood.
/// </summary>
internal static class Cgroups
{
    private const string Root = "/sys/fs/cgroup";
    private const long CpuPeriodUsec = 100_000;

    /// <summary>True when the machine has the v2 unified hierarchy only (no per-controller v1 mounts).</summary>
    public static bool Unified => File.Exists($"{Root}/cgroup.controllers");

    /// <summary>Whether runs can be put in cgroups of their own here: Linux with the memory and pids controllers mounted.</summary>
    public static bool Available => OperatingSystem.IsLinux() && (Unified || (Directory.Exists($"{Root}/memory") && Directory.Exists($"{Root}/pids")));

    /// <summary>
    /// Creates <paramref name="cgroup"/> with the given limits (null = none) and returns the
    /// <c>cgroup.procs</c> files a process must be written into to join it (one per v1 controller).
    /// Swap is capped at the memory limit where the kernel accounts it, so a run over its limit is killed,
    /// not swapped out. Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the hierarchy refuses.
    /// </summary>
    public static IReadOnlyList<string> Create(string cgroup, long? memoryBytes, int? pids, double? cpus)
    {
        var quota = cpus is { } c ? (long?)Math.Max(1000, (long)Math.Round(c * CpuPeriodUsec)) : null;
        if (Unified)
        {
            // v2: a controller is usable in a child only when every ancestor delegates it.
            var path = Root;
            foreach (var part in cgroup.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                TryWrite($"{path}/cgroup.subtree_control", "+memory +pids +cpu");
                path = $"{path}/{part}";
                Directory.CreateDirectory(path);
            }

            Write(path, "memory.max", memoryBytes);
            if (memoryBytes is not null)
            {
                TryWrite($"{path}/memory.swap.max", "0");
            }

            Write(path, "pids.max", pids);
            if (quota is { } q)
            {
                File.WriteAllText($"{path}/cpu.max", string.Create(CultureInfo.InvariantCulture, $"{q} {CpuPeriodUsec}"));
            }

            return [$"{path}/cgroup.procs"];
        }

        var memory = Directory.CreateDirectory($"{Root}/memory{cgroup}").FullName;
        Write(memory, "memory.limit_in_bytes", memoryBytes);
        if (memoryBytes is not null && File.Exists($"{memory}/memory.memsw.limit_in_bytes"))
        {
            // memsw (memory + swap) may not be below the memory limit, so it is written after it.
            Write(memory, "memory.memsw.limit_in_bytes", memoryBytes);
        }

        var pidsDirectory = Directory.CreateDirectory($"{Root}/pids{cgroup}").FullName;
        Write(pidsDirectory, "pids.max", pids);
        List<string> procs = [$"{memory}/cgroup.procs", $"{pidsDirectory}/cgroup.procs"];
        if (quota is { } cpuQuota && Directory.Exists($"{Root}/cpu"))
        {
            var cpu = Directory.CreateDirectory($"{Root}/cpu{cgroup}").FullName;
            File.WriteAllText($"{cpu}/cpu.cfs_period_us", CpuPeriodUsec.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText($"{cpu}/cpu.cfs_quota_us", cpuQuota.ToString(CultureInfo.InvariantCulture));
            procs.Add($"{cpu}/cgroup.procs");
        }

        return procs;
    }

    /// <summary>True when <paramref name="cgroup"/> exists (a run of the process runner left it).</summary>
    public static bool Exists(string cgroup) => Directory.Exists(Unified ? $"{Root}{cgroup}" : $"{Root}/pids{cgroup}");

    /// <summary>The processes in <paramref name="cgroup"/> (empty when it does not exist).</summary>
    public static IReadOnlyList<int> Processes(string cgroup)
    {
        try
        {
            return [.. File.ReadLines(Unified ? $"{Root}{cgroup}/cgroup.procs" : $"{Root}/pids{cgroup}/cgroup.procs")
                .Select(l => int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
                .Where(p => p > 0)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// SIGKILLs every process in <paramref name="cgroup"/>, again until none is left (a process may fork
    /// while the list is read; the pids limit bounds how often); returns how many were signalled.
    /// </summary>
    public static int KillAll(string cgroup)
    {
        var killed = 0;
        for (var round = 0; round < 100; round++)
        {
            var live = Processes(cgroup);
            if (live.Count == 0)
            {
                break;
            }

            foreach (var pid in live)
            {
                if (NativeMethods.Kill(pid, NativeMethods.SIGKILL) == 0)
                {
                    killed++;
                }
            }

            Thread.Sleep(5);
        }

        return killed;
    }

    /// <summary>Removes <paramref name="cgroup"/> from every controller (best effort: a cgroup with processes left stays).</summary>
    public static void Remove(string cgroup)
    {
        foreach (var directory in Directories(cgroup))
        {
            try
            {
                // A cgroup directory is removed with rmdir alone (its files are not real files).
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still busy: removed by the next run of the same instance, or left for the operator.
            }
        }
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> (same parent) in every controller it is in: its
    /// processes, limits and counters go with it. Throws <see cref="IOException"/> when the hierarchy refuses.
    /// </summary>
    public static void Rename(string from, string to)
    {
        foreach (var (source, target) in Directories(from).Zip(Directories(to)))
        {
            if (Directory.Exists(source))
            {
                Directory.Move(source, target);
            }
        }
    }

    /// <summary>Kills whatever is in <paramref name="cgroup"/> and removes it; nothing when it does not exist.</summary>
    public static void Clear(string cgroup)
    {
        if (Exists(cgroup))
        {
            KillAll(cgroup);
            Remove(cgroup);
        }
    }

    /// <summary>The directories of <paramref name="cgroup"/>: one in the unified hierarchy, one per controller used in v1.</summary>
    private static string[] Directories(string cgroup) =>
        Unified ? [$"{Root}{cgroup}"] : [$"{Root}/memory{cgroup}", $"{Root}/pids{cgroup}", $"{Root}/cpu{cgroup}"];

    /// <summary>Out-of-memory kills counted by the cgroup: <c>oom_kill</c> of cgroup v1 <c>memory.oom_control</c> or v2 <c>memory.events</c>.</summary>
    public static long OutOfMemoryKills(string cgroup)
    {
        foreach (var file in (string[])[$"{Root}/memory{cgroup}/memory.oom_control", $"{Root}{cgroup}/memory.events"])
        {
            try
            {
                foreach (var line in File.ReadLines(file))
                {
                    if (line.StartsWith("oom_kill ", StringComparison.Ordinal) && long.TryParse(line.AsSpan("oom_kill ".Length), CultureInfo.InvariantCulture, out var kills))
                    {
                        return kills;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // This cgroup version's file is not there: try the other.
            }
        }

        return 0;
    }

    /// <summary>The cgroup's memory limit in bytes, or null when it has none.</summary>
    public static long? MemoryLimit(string cgroup)
    {
        foreach (var file in (string[])[$"{Root}/memory{cgroup}/memory.limit_in_bytes", $"{Root}{cgroup}/memory.max"])
        {
            try
            {
                var text = File.ReadAllText(file).Trim();
                return long.TryParse(text, CultureInfo.InvariantCulture, out var limit) && limit < long.MaxValue / 2 ? limit : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not this cgroup version.
            }
        }

        return null;
    }

    /// <summary>The status error of a run the kernel killed for memory (the same text for every runner).</summary>
    public static string OutOfMemoryFailure(long? memoryLimit) =>
        $"Out of memory: the instance went over its memory limit{(memoryLimit is { } limit ? $" of {limit / (1024 * 1024)} MiB" : string.Empty)} and was killed";

    private static void Write(string directory, string file, long? value)
    {
        if (value is { } v)
        {
            File.WriteAllText(Path.Combine(directory, file), v.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void TryWrite(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Already delegated, or not ours to change: the writes below say whether it mattered.
        }
    }
}

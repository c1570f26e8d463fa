using System.Runtime.InteropServices;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>
/// Keeps glibc from handing freed native memory back to the kernel as soon as 128 KiB lie free at the top of a
/// heap (its default <c>M_TRIM_THRESHOLD</c>). The SQLite writer's page cache and statements allocate and free
/// native memory on every commit, so its thread's heap could shrink (<c>madvise</c>) and grow again (page faults
/// on fresh pages) at every commit: a profile of w2 caught it at about a fifth of the writer thread's CPU, on the
/// one thread every write waits for (docs/performance.md, issue 20). How often depends on the run, as glibc raises
/// its threshold by itself once a large block is freed; this makes it never. With the threshold raised, a heap keeps what it has
/// freed up to <see cref="ThresholdBytes"/> at its top, i.e. the process keeps its native high-water mark.
/// Process-wide, as glibc has one setting; set once, when a SQLite store opens its writer. Elsewhere (not
/// Linux, or a C library without <c>mallopt</c>) nothing changes and <see cref="Apply"/> says so.
/// </summary>
internal static partial class NativeHeapTrimming
{
    /// <summary>Free bytes a heap's top may hold before glibc returns them to the kernel.</summary>
    internal const int ThresholdBytes = 32 << 20;

    private const int TrimThresholdParameter = -1; // M_TRIM_THRESHOLD

    private static int _state; // 0: not tried, 1: applied, 2: not possible here

    /// <summary>True once the threshold is raised in this process.</summary>
    public static bool IsApplied => Volatile.Read(ref _state) == 1;

    /// <summary>Raises the threshold (once per process); true when it is raised.</summary>
    public static bool Apply()
    {
        if (Volatile.Read(ref _state) != 0)
        {
            return IsApplied;
        }

        var applied = false;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // glibc returns 1 on success; musl's mallopt does nothing and returns 0.
                applied = Mallopt(TrimThresholdParameter, ThresholdBytes) == 1;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
            }
        }

        Interlocked.CompareExchange(ref _state, applied ? 1 : 2, 0);
        return IsApplied;
    }

    /// <summary>mallopt(3).</summary>
    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}

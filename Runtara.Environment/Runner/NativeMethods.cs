using System.Runtime.InteropServices;

namespace Runtara.Environment.Runner;

internal static partial class NativeMethods
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    /// <summary>kill(2): sends a signal to a process (Linux and macOS).</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}

using System.Runtime.InteropServices;

namespace Runtara.Environment.Runner;

internal static partial class NativeMethods
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    /// <summary>kill(2): sends a signal to a process (Linux and macOS).</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>geteuid(2): the effective user id of this process.</summary>
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    /// <summary>getegid(2): the effective group id of this process.</summary>
    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEffectiveGroupId();

    /// <summary>lchown(2): changes the owner of a path without following a symbolic link at its end.</summary>
    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LChown(string path, uint owner, uint group);

    /// <summary>statx(2) without following a symbolic link at the end of <paramref name="path"/>; <paramref name="buffer"/> holds a struct statx (256 bytes, the same layout on every architecture).</summary>
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int directoryFd, string path, int flags, uint mask, Span<byte> buffer);

    public const int ENXIO = 6;

    /// <summary>open(2) flags of Linux (the same values on x64 and arm64).</summary>
    public const int O_WRONLY = 0x1;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    /// <summary>mkfifo(3): creates a named pipe with <paramref name="mode"/> (less the umask).</summary>
    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkFifo(string path, uint mode);

    /// <summary>open(2) without a mode (never creates): used where .NET cannot pass the flags, e.g. O_NONBLOCK on a FIFO.</summary>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    /// <summary>fcntl(2) with an int argument (F_GETFL, F_SETFL).</summary>
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);
}

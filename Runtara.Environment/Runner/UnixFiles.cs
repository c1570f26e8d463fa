using System.Buffers.Binary;

namespace Runtara.Environment.Runner;

/// <summary>Owner, link count and reachability of files, as the kernel checks them for another (unprivileged) user.</summary>
internal static class UnixFiles
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>The owner, group, hard-link count and mode of <paramref name="path"/> itself (a link is not followed); null when it does not exist.</summary>
    public static (uint Uid, uint Gid, uint Links, UnixFileMode Mode)? Stat(string path) =>
        StatX(AtFdCwd, path, AtSymlinkNoFollow) is { } s ? (s.Uid, s.Gid, s.Links, s.Mode) : null;

    /// <summary>True when <paramref name="path"/> itself (not followed) is a regular file: not a link, FIFO, socket, device or directory.</summary>
    public static bool IsRegularFile(string path) =>
        OperatingSystem.IsWindows() ? File.Exists(path) : StatX(AtFdCwd, path, AtSymlinkNoFollow) is { } s && (s.Type & 0xF000) == 0x8000;

    /// <summary>
    /// Opens <paramref name="path"/> for reading unless it is a symbolic link: the opened file and the
    /// name (not followed) must be the same inode, so a link an instance left in its run directory
    /// cannot make the environment read a file the instance may not. Null when missing or a link.
    /// </summary>
    public static FileStream? OpenReadNoFollow(string path, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        // A FIFO would block the open: only regular files are opened.
        if (!IsRegularFile(path))
        {
            return null;
        }

        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (OperatingSystem.IsWindows())
        {
            return file;
        }

        var opened = StatX((int)file.SafeFileHandle.DangerousGetHandle(), string.Empty, AtEmptyPath);
        var named = StatX(AtFdCwd, path, AtSymlinkNoFollow);
        if (opened is { } o && named is { } n && o.Inode == n.Inode && o.Device == n.Device)
        {
            return file;
        }

        file.Dispose();
        return null;
    }

    private static (uint Uid, uint Gid, uint Links, UnixFileMode Mode, ulong Inode, ulong Device, int Type)? StatX(int directoryFd, string path, int flags)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (NativeMethods.Statx(directoryFd, path, flags, StatxBasicStats, buffer) != 0)
        {
            return null;
        }

        // struct statx: stx_nlink at 16, stx_uid 20, stx_gid 24, stx_mode (u16) 28, stx_ino (u64) 32, stx_dev_major 136, stx_dev_minor 140.
        return (Read32(buffer[20..]), Read32(buffer[24..]), Read32(buffer[16..]), (UnixFileMode)(Read16(buffer[28..]) & 0xfff),
            Read64(buffer[32..]), ((ulong)Read32(buffer[136..]) << 32) | Read32(buffer[140..]), Read16(buffer[28..]) & 0xF000);

        static uint Read32(ReadOnlySpan<byte> bytes) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);

        static ushort Read16(ReadOnlySpan<byte> bytes) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16BigEndian(bytes);

        static ulong Read64(ReadOnlySpan<byte> bytes) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    /// <summary>True when <paramref name="path"/> is a symbolic link (which the environment must never follow in a run directory).</summary>
    public static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>
    /// The first directory on the way to <paramref name="path"/> that a user other than its owner and group
    /// cannot pass (no o+x), or <paramref name="path"/> itself when such a user cannot run (a file) or pass
    /// (a directory) it; null when another user can reach it.
    /// </summary>
    public static string? FirstBarrierForOthers(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        var directories = new List<string>();
        for (var directory = Path.GetDirectoryName(full); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            directories.Add(directory);
        }

        directories.Reverse();
        foreach (var directory in directories)
        {
            if (Directory.Exists(directory) && (File.GetUnixFileMode(directory) & UnixFileMode.OtherExecute) == 0)
            {
                return directory;
            }
        }

        // A directory must be passable (o+x), a file executable (o+x) by others.
        return (File.Exists(full) || Directory.Exists(full)) && (File.GetUnixFileMode(full) & UnixFileMode.OtherExecute) == 0 ? full : null;
    }

    /// <summary>
    /// Gives <paramref name="root"/> and everything below it to <paramref name="uid"/>:<paramref name="gid"/>
    /// without following symbolic links, and leaving files with more than one hard link alone (a hard
    /// link to someone else's file must not hand that file over). Paths in <paramref name="except"/>
    /// (and what is below them) keep their owner.
    /// </summary>
    public static void ChangeOwnerRecursively(string root, uint uid, uint gid, IReadOnlyCollection<string>? except = null)
    {
        ChangeOwner(root, uid, gid);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            if (except?.Contains(entry.FullName) == true)
            {
                continue;
            }

            if (entry.LinkTarget is not null)
            {
                ChangeOwner(entry.FullName, uid, gid);
            }
            else if (entry is DirectoryInfo)
            {
                ChangeOwnerRecursively(entry.FullName, uid, gid, except);
            }
            else if (Stat(entry.FullName) is { Links: 1 })
            {
                ChangeOwner(entry.FullName, uid, gid);
            }
        }
    }

    /// <summary>lchown(2), throwing when it fails.</summary>
    public static void ChangeOwner(string path, uint uid, uint gid)
    {
        if (NativeMethods.LChown(path, uid, gid) != 0)
        {
            throw new IOException($"Cannot change the owner of '{path}' to {uid}:{gid} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        }
    }
}

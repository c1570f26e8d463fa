using System.Diagnostics;

namespace Runtara.Testing;

/// <summary>
/// A small tmpfs mounted on a fresh directory, so a test can fill a disk without filling the
/// machine's. Needs root (Linux); <see cref="TryMount"/> says why not otherwise. Unmounted when disposed.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private readonly TempDirectory _directory;

    private TmpfsMount(TempDirectory directory) => _directory = directory;

    public string Path => _directory.Path;

    /// <summary>Free bytes on the mount now.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/>, or returns null with the reason it cannot.</summary>
    public static TmpfsMount? TryMount(long bytes, out string skipReason)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            skipReason = "mounting a small tmpfs needs root on Linux; this test fills a disk and only runs there";
            return null;
        }

        var directory = new TempDirectory("runtara-tmpfs");
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", directory.Path);
        if (code != 0)
        {
            directory.Dispose();
            skipReason = $"mount -t tmpfs failed ({code}): {output.Trim()}";
            return null;
        }

        skipReason = string.Empty;
        return new TmpfsMount(directory);
    }

    public void Dispose()
    {
        // Lazy, so a handle a failed test left open cannot keep the mount (and the test run) alive.
        Run("umount", "-l", Path);
        _directory.Dispose();
    }

    private static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}

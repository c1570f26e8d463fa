namespace Runtara.Testing;

/// <summary>
/// Folders a test shares with instances: a root environment runs each instance as a user of its own
/// (docs/security.md), so such a folder must be open to every user (0777), as <c>/tmp</c> is.
/// </summary>
public static class SharedDirectory
{
    private const UnixFileMode Everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>A new folder under the temporary directory, open to every user.</summary>
    public static string Create(string prefix) => Open(Directory.CreateTempSubdirectory(prefix).FullName);

    /// <summary>Creates <paramref name="path"/> when missing and opens it to every user; returns its full path.</summary>
    public static string Open(string path)
    {
        var full = Directory.CreateDirectory(path).FullName;
        if (!OperatingSystem.IsWindows())
        {
            // Set explicitly: a mode given at creation is reduced by the umask.
            File.SetUnixFileMode(full, Everyone);
        }

        return full;
    }

    /// <summary>Makes an existing folder passable (0711) by every user, e.g. one that holds a data directory.</summary>
    public static void MakePassable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }
}

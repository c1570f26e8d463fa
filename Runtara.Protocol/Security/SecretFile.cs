namespace Runtara.Protocol.Security;

/// <summary>Generated secrets on disk (token keys, the development API key): readable by the owner only.</summary>
public static class SecretFile
{
    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> (mode 0600) unless the file exists.
    /// Safe when two processes race: the first file written wins and the other's is discarded.
    /// </summary>
    /// <returns>True when this call created the file.</returns>
    public static bool CreateIfAbsent(string path, Func<string> content)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        if (File.Exists(path))
        {
            return false;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else if (!Directory.Exists(directory))
        {
            // A folder made for secrets is the owner's alone (an existing one is left as configured).
            Directory.CreateDirectory(directory, OwnerOnly | UnixFileMode.UserExecute);
        }

        var temporary = $"{path}.{System.Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using (var writer = new StreamWriter(temporary, options))
        {
            writer.Write(content());
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }

    /// <summary>
    /// Makes a SQLite database and its <c>-wal</c>, <c>-shm</c> and <c>-journal</c> files, where they exist,
    /// readable and writable by their owner only (0600): they hold every tenant's data, and processes of
    /// other users (instances) may pass through the data directory (docs/security.md).
    /// </summary>
    public static void RestrictDatabase(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var path in new[] { databasePath, databasePath + "-wal", databasePath + "-shm", databasePath + "-journal" })
        {
            if (File.Exists(path))
            {
                File.SetUnixFileMode(path, OwnerOnly);
            }
        }
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}

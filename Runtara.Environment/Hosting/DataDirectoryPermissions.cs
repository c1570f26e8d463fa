using Runtara.Environment.Instances;
using Runtara.Protocol.Security;

namespace Runtara.Environment.Hosting;

/// <summary>
/// File modes of the data directory (docs/security.md), set at every start so an older or copied
/// directory is tightened too. Instances run as other users: they may pass through the data directory,
/// <c>runs/</c> and <c>images/</c> (0711, no listing), to reach only what they know the path of; the
/// secrets (<c>security/</c>, staged uploads) are the environment's alone (0700), the SQLite files 0600
/// (the development certificate's key is written 0600; its public half stays readable for clients).
/// </summary>
internal static class DataDirectoryPermissions
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Applies the modes under <paramref name="dataDirectory"/>; <paramref name="sqlitePath"/> is the environment's database when it is SQLite.</summary>
    public static void Apply(string dataDirectory, string? sqlitePath)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(dataDirectory, RunDirectory.PassOnly);
        foreach (var passable in new[] { "runs", "tls", "images", Path.Combine("images", "blobs"), Path.Combine("images", "content") })
        {
            var path = Path.Combine(dataDirectory, passable);
            Directory.CreateDirectory(path);
            File.SetUnixFileMode(path, RunDirectory.PassOnly);
        }

        foreach (var closed in new[] { "security", Path.Combine("images", "uploads") })
        {
            var path = Path.Combine(dataDirectory, closed);
            if (Directory.Exists(path))
            {
                File.SetUnixFileMode(path, OwnerOnly);
            }
        }

        if (sqlitePath is not null)
        {
            SecretFile.RestrictDatabase(sqlitePath);
        }
    }
}

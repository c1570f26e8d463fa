using System.Security.Cryptography;
using System.Text;

namespace Runtara.Data;

/// <summary>
/// One versioned schema step: applied once, in order, in its own transaction, and recorded with its
/// checksum in the history table. Never edit an applied step; add a new one.
/// </summary>
/// <param name="Version">Position in the sequence: 1, 2, 3, … without gaps.</param>
/// <param name="Name">Short description recorded next to the version.</param>
/// <param name="Sql">The statements, run as one command.</param>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>Lower-case hex SHA-256 of <see cref="Sql"/> with line endings normalised to LF.</summary>
    public string Checksum => ChecksumOf(Sql);

    internal static string ChecksumOf(string sql)
    {
        // A raw string literal takes the line endings of its source file, so a checkout with CRLF
        // (git autocrlf on Windows) must not look like an edited migration.
        var normalized = sql.ReplaceLineEndings("\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
    }
}

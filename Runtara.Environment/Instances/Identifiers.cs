using System.Buffers;

namespace Runtara.Environment.Instances;

/// <summary>
/// Ids that become path components (tenant and instance ids in run directories) are limited to a
/// safe alphabet, so no request can reach outside the data directory (SPEC §19.6).
/// </summary>
public static class Identifiers
{
    /// <summary>Longest tenant or instance id accepted.</summary>
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    /// <summary>True for 1–128 characters of <c>[A-Za-z0-9._-]</c>, not starting with a dot.</summary>
    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && id[0] != '.' && !id.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>Throws <see cref="InvalidArgumentException"/> naming <paramref name="field"/> unless <paramref name="id"/> is valid.</summary>
    public static string Require(string? id, string field)
    {
        InvalidArgumentException.ThrowIfEmpty(id, field);
        if (!IsValid(id))
        {
            throw new InvalidArgumentException(field, $"'{id}' is not a valid id (1-{MaxLength} characters of A-Z, a-z, 0-9, '.', '_' or '-', not starting with '.')");
        }

        return id!;
    }
}

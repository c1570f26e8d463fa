using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Runtara.Engine.Children;

/// <summary>
/// Child instance ids, derived from the parent id and the parent's key for the child, so a replayed
/// StartChild names the same child. Readable (<c>order-42.charge</c>) when the pair fits the id rules
/// the environment applies (1–128 of <c>[A-Za-z0-9._-]</c>); otherwise the parent id's head and a hash.
/// </summary>
public static class ChildIds
{
    private const int MaxLength = 128;
    private const int HashLength = 24;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    /// <summary>The id of the child <paramref name="parentId"/> starts under <paramref name="key"/>.</summary>
    public static string Derive(string parentId, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(parentId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var readable = $"{parentId}.{key}";
        if (readable.Length <= MaxLength && !readable.AsSpan().ContainsAnyExcept(Allowed) && readable[0] != '.')
        {
            return readable;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{parentId}\n{key}")))[..HashLength];
        var head = new string([.. parentId.Where(c => Allowed.Contains(c))]);
        head = head.TrimStart('.');
        var room = MaxLength - HashLength - 3;
        return $"{(head.Length > room ? head[..room] : head)}.c-{hash}";
    }
}

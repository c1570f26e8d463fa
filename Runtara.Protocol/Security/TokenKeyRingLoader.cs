using System.Security.Cryptography;

namespace Runtara.Protocol.Security;

/// <summary>
/// Builds the key ring from <see cref="TokenKeyOptions"/>: configured keys when there are any, else
/// the key file, generated with one random key on first start (like the development certificate).
/// </summary>
public static class TokenKeyRingLoader
{
    /// <summary>Default key file name under a data directory.</summary>
    public static string DefaultKeyFile(string dataDirectory) => Path.Combine(dataDirectory, "security", "runtara.keys");

    /// <summary>Loads (or generates) the key ring; <paramref name="source"/> names where it came from (a path or "configuration"), never a secret.</summary>
    /// <exception cref="InvalidOperationException">A key is malformed; the message names the setting.</exception>
    public static TokenKeyRing Load(TokenKeyOptions options, string section, string dataDirectory, out string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Keys.Count > 0)
        {
            var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (id, secret) in options.Keys)
            {
                keys[id] = Decode(secret, $"{section}:Keys:{id}");
            }

            var signing = options.SigningKeyId;
            if (string.IsNullOrWhiteSpace(signing))
            {
                signing = keys.Count == 1 ? keys.Keys.First() : throw new InvalidOperationException($"{section}:SigningKeyId must name the signing key when several keys are configured.");
            }

            source = "configuration";
            return Create(keys, signing, $"{section}:Keys");
        }

        var path = Path.GetFullPath(string.IsNullOrWhiteSpace(options.KeyFile) ? DefaultKeyFile(dataDirectory) : options.KeyFile, dataDirectory);
        source = path;
        SecretFile.CreateIfAbsent(path, () => $"# Runtara token keys (id=base64 secret); the last line signs. Keep this file secret.\nlocal-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}={TokenKeyRing.NewSecret()}\n");
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        var fromFile = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string? last = null;
        foreach (var line in lines)
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new InvalidOperationException($"{section}:KeyFile '{path}' has a line that is not id=base64secret.");
            }

            last = line[..equals];
            fromFile[last] = Decode(line[(equals + 1)..], $"{section}:KeyFile '{path}' key '{last}'");
        }

        return last is null
            ? throw new InvalidOperationException($"{section}:KeyFile '{path}' holds no key.")
            : Create(fromFile, last, $"{section}:KeyFile '{path}'");
    }

    private static byte[] Decode(string secret, string setting)
    {
        try
        {
            return Convert.FromBase64String(secret.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{setting} is not base64.");
        }
    }

    private static TokenKeyRing Create(Dictionary<string, byte[]> keys, string signing, string setting)
    {
        try
        {
            return new TokenKeyRing(keys, signing);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{setting}: {ex.Message}", ex);
        }
    }
}

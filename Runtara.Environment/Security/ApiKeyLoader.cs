using System.Security.Cryptography;
using Runtara.Environment.Hosting;
using Runtara.Protocol.Security;

namespace Runtara.Environment.Security;

/// <summary>
/// The API keys the environment accepts: the configured ones, or — when none is configured — one
/// all-tenant key generated into the data directory on first start (so a local run needs no set-up
/// and is still never open: the key file is readable by its owner only).
/// </summary>
internal static class ApiKeyLoader
{
    public static string DefaultFile(string dataDirectory) => Path.Combine(dataDirectory, "security", "admin.apikey");

    public static IReadOnlyList<(string Name, string Key, IReadOnlyCollection<string> Tenants)> Load(EnvironmentOptions options, out string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ApiKeys.Count > 0)
        {
            source = "configuration";
            return [.. options.ApiKeys.Select(k => (k.Key, k.Value.Key, (IReadOnlyCollection<string>)k.Value.Tenants))];
        }

        var data = options.ResolveDataDirectory();
        var path = Path.GetFullPath(string.IsNullOrWhiteSpace(options.ApiKeyFile) ? DefaultFile(data) : options.ApiKeyFile, data);
        SecretFile.CreateIfAbsent(path, () => "rtk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
        var key = File.ReadAllText(path).Trim();
        if (key.Length < 16)
        {
            throw new InvalidOperationException($"{EnvironmentOptions.SectionName}:ApiKeyFile '{path}' holds no key of at least 16 characters.");
        }

        source = path;
        return [("local-admin", key, ["*"])];
    }
}

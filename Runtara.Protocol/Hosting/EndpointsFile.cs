using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Runtara.Protocol.Hosting;

/// <summary>
/// The small JSON file a server writes into its data directory once its ports are bound (the real
/// ports when 0 was configured), so tools and tests that started it can find and trust it.
/// Shared by the core and the environment; each defines its own record of what it publishes, with
/// source-generated JSON metadata so the file works in trimmed and native AOT builds too.
/// </summary>
public static class EndpointsFile
{
    /// <summary>Writes <paramref name="endpoints"/> atomically (temporary file, then rename), so readers never see half a file.</summary>
    public static async Task WriteAsync<T>(T endpoints, JsonTypeInfo<T> typeInfo, string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var temporary = $"{path}.{System.Environment.ProcessId}.tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(endpoints, typeInfo), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads the file, or null when it is absent or unreadable.</summary>
    public static T? TryRead<T>(JsonTypeInfo<T> typeInfo, string path)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), typeInfo);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

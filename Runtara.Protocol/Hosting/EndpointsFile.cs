using System.Text.Json;

namespace Runtara.Protocol.Hosting;

/// <summary>
/// The small JSON file a server writes into its data directory once its ports are bound (the real
/// ports when 0 was configured), so tools and tests that started it can find and trust it.
/// Shared by the core and the environment; each defines its own record of what it publishes.
/// </summary>
public static class EndpointsFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="endpoints"/> atomically (temporary file, then rename), so readers never see half a file.</summary>
    public static async Task WriteAsync<T>(T endpoints, string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var temporary = $"{path}.{System.Environment.ProcessId}.tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(endpoints, Json), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads the file, or null when it is absent or unreadable.</summary>
    public static T? TryRead<T>(string path)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Core.Hosting;

/// <summary>
/// Where a running core can be reached, written to <c>&lt;data&gt;/core.endpoints.json</c> once both
/// protocol ports are bound, so that tools and tests that started it with port 0 can connect.
/// </summary>
public sealed record CoreEndpoints(
    [property: JsonPropertyName("processId")] int ProcessId,
    [property: JsonPropertyName("bindAddress")] string BindAddress,
    [property: JsonPropertyName("instancePort")] int InstancePort,
    [property: JsonPropertyName("managementPort")] int ManagementPort,
    [property: JsonPropertyName("transports")] IReadOnlyList<string> Transports,
    [property: JsonPropertyName("certificatePath")] string? CertificatePath,
    [property: JsonPropertyName("storage")] string Storage)
{
    /// <summary>File name inside the data directory.</summary>
    public const string FileName = "core.endpoints.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the file atomically (temporary file, then rename).</summary>
    public async Task WriteAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var temporary = $"{path}.{ProcessId}.tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(this, Json), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads the file, or null when it is absent or half-written.</summary>
    public static CoreEndpoints? TryRead(string dataDirectory)
    {
        try
        {
            return JsonSerializer.Deserialize<CoreEndpoints>(File.ReadAllText(Path.Combine(dataDirectory, FileName)));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

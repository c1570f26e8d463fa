using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Environment.Hosting;

/// <summary>
/// Where a running environment can be reached, written to <c>&lt;data&gt;/environment.endpoints.json</c>
/// once the port is bound, so that tools and tests that started it with port 0 can connect.
/// </summary>
public sealed record EnvironmentEndpoints(
    [property: JsonPropertyName("processId")] int ProcessId,
    [property: JsonPropertyName("bindAddress")] string BindAddress,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("transports")] IReadOnlyList<string> Transports,
    [property: JsonPropertyName("certificatePath")] string? CertificatePath,
    [property: JsonPropertyName("storage")] string Storage)
{
    public const string FileName = "environment.endpoints.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public async Task WriteAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var temporary = $"{path}.{ProcessId}.tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(this, Json), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    public static EnvironmentEndpoints? TryRead(string dataDirectory)
    {
        try
        {
            return JsonSerializer.Deserialize<EnvironmentEndpoints>(File.ReadAllText(Path.Combine(dataDirectory, FileName)));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

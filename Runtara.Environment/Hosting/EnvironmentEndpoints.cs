using System.Text.Json.Serialization;
using Runtara.Protocol.Hosting;

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

    /// <summary>Writes the file atomically into <paramref name="dataDirectory"/>.</summary>
    public Task WriteAsync(string dataDirectory, CancellationToken cancellationToken) =>
        EndpointsFile.WriteAsync(this, EnvironmentEndpointsJson.Default.EnvironmentEndpoints, Path.Combine(dataDirectory, FileName), cancellationToken);

    /// <summary>Reads the file, or null when it is absent or half-written.</summary>
    public static EnvironmentEndpoints? TryRead(string dataDirectory) =>
        EndpointsFile.TryRead(EnvironmentEndpointsJson.Default.EnvironmentEndpoints, Path.Combine(dataDirectory, FileName));
}

/// <summary>Source-generated JSON metadata for <see cref="EnvironmentEndpoints"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(EnvironmentEndpoints))]
internal sealed partial class EnvironmentEndpointsJson : JsonSerializerContext;

using System.Text.Json.Serialization;
using Runtara.Protocol.Hosting;

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
    /// <summary>The instance protocol's Unix socket (instances connect to <c>unix:&lt;path&gt;</c>); null when the core serves none.</summary>
    [JsonPropertyName("instanceSocket")]
    public string? InstanceSocket { get; init; }

    /// <summary>File name inside the data directory.</summary>
    public const string FileName = "core.endpoints.json";

    /// <summary>Writes the file atomically into <paramref name="dataDirectory"/>.</summary>
    public Task WriteAsync(string dataDirectory, CancellationToken cancellationToken) =>
        EndpointsFile.WriteAsync(this, CoreEndpointsJson.Default.CoreEndpoints, Path.Combine(dataDirectory, FileName), cancellationToken);

    /// <summary>Removes an endpoints file and temporary files that dead processes left in <paramref name="dataDirectory"/>.</summary>
    public static IReadOnlyList<string> RemoveStale(string dataDirectory) =>
        EndpointsFile.RemoveStale(CoreEndpointsJson.Default.CoreEndpoints, Path.Combine(dataDirectory, FileName), e => e.ProcessId);

    /// <summary>Reads the file, or null when it is absent or half-written.</summary>
    public static CoreEndpoints? TryRead(string dataDirectory) =>
        EndpointsFile.TryRead(CoreEndpointsJson.Default.CoreEndpoints, Path.Combine(dataDirectory, FileName));
}

/// <summary>Source-generated JSON metadata for <see cref="CoreEndpoints"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(CoreEndpoints))]
internal sealed partial class CoreEndpointsJson : JsonSerializerContext;

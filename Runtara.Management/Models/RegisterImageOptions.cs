using System.Text.Json;

namespace Runtara.Management;

/// <summary>What to register; content comes separately as a stream.</summary>
public sealed class RegisterImageOptions
{
    /// <summary>The tenant to register for; default: the client's <see cref="ManagementClientOptions.TenantId"/>.</summary>
    public string? TenantId { get; set; }

    /// <summary>The image's name (what instances list as their image name).</summary>
    public required string Name { get; set; }

    /// <summary>A description, stored with the image.</summary>
    public string? Description { get; set; }

    /// <summary>Path inside a zip image to launch (a .dll runs with <c>dotnet</c>); stored in the metadata.</summary>
    public string? Entrypoint { get; set; }

    /// <summary>Extra metadata (a JSON object).</summary>
    public JsonElement? Metadata { get; set; }

    /// <summary>Byte count the environment must receive (0 = do not check).</summary>
    public long Size { get; set; }

    /// <summary>Lower-case hex SHA-256 the content must have (null = do not check).</summary>
    public string? Sha256 { get; set; }
}

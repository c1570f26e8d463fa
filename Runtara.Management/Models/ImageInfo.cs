namespace Runtara.Management;

/// <summary>A registered image.</summary>
/// <param name="ImageId">The image's id, used to start instances.</param>
/// <param name="TenantId">The tenant that owns it.</param>
/// <param name="Name">Its name, as registered.</param>
/// <param name="Description">Its description, if one was given.</param>
/// <param name="RunnerType"><c>native</c>, <c>wasm</c> or <c>oci</c>.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the uploaded content.</param>
/// <param name="SizeBytes">The uploaded content's size, in bytes.</param>
/// <param name="Format"><c>executable</c> (a single file) or <c>zip</c> (a published .NET app folder).</param>
/// <param name="Entrypoint">What is launched: the executable itself, or a path inside the zip.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="UpdatedAt">When it was last changed; null if never.</param>
public sealed record ImageInfo(
    string ImageId,
    string TenantId,
    string Name,
    string? Description,
    string RunnerType,
    string Sha256,
    long SizeBytes,
    string Format,
    string Entrypoint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt)
{
    /// <summary>
    /// The version this describes (the newest in image lists): registering the name again with other
    /// content adds a version, and instances stay on the version they started on.
    /// </summary>
    public int Version { get; init; } = 1;
}

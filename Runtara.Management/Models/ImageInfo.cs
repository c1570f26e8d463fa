namespace Runtara.Management;

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
    DateTimeOffset? UpdatedAt);

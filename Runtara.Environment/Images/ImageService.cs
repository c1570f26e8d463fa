using System.Text.Json;
using Microsoft.Extensions.Logging;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Instances;
using Runtara.Environment.Runner.Oci;
using Runtara.Environment.Runner.Warm;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Images;

/// <summary>What a registration declares besides the content.</summary>
public sealed record ImageRegistration(
    string TenantId,
    string Name,
    string? Description,
    string RunnerType,
    byte[]? Metadata,
    ulong DeclaredSize,
    string? Sha256);

/// <summary>
/// The image registry (SPEC §14.2): checks an upload completely (size limit, declared size and
/// SHA-256, zip layout and entrypoint) before anything is kept; images are tenant-owned and another
/// tenant's image is indistinguishable from a missing one.
/// </summary>
internal sealed class ImageService(IEnvironmentStore store, ImageContentStore content, TimeProvider time, ILogger<ImageService> logger, OciWarmPool? warm = null, WarmProcesses? warmProcesses = null)
{
    private const int ResolvePageSize = 500;

    private readonly KeyedLock _fetches = new();

    public const string FormatExecutable = "executable";
    public const string FormatZip = "zip";

    /// <summary>Checks the declared fields before any content is read (an oversize upload is refused at once).</summary>
    public void Validate(ImageRegistration registration, long maxSize)
    {
        ArgumentNullException.ThrowIfNull(registration);
        Identifiers.Require(registration.TenantId, "tenant_id");
        InvalidArgumentException.ThrowIfEmpty(registration.Name, "name");
        if (registration.Name.Length > 256)
        {
            throw new InvalidArgumentException("name", "must be at most 256 characters");
        }

        if (registration.DeclaredSize > (ulong)maxSize)
        {
            throw new ImageTooLargeException((long)Math.Min(registration.DeclaredSize, long.MaxValue), maxSize);
        }

        if (registration.Sha256 is { Length: > 0 } sha && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
        {
            throw new InvalidArgumentException("sha256", "must be 64 hexadecimal characters");
        }

        ParseMetadata(registration.Metadata);
    }

    public async Task<ImageRecord> RegisterAsync(ImageRegistration registration, Stream source, long maxSize, CancellationToken cancellationToken)
    {
        Validate(registration, maxSize);
        var metadata = ParseMetadata(registration.Metadata);
        var staged = await content.StageAsync(source, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!string.IsNullOrEmpty(registration.Sha256) && !string.Equals(registration.Sha256, staged.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ChecksumMismatchException(registration.Sha256.ToLowerInvariant(), staged.Sha256);
            }

            if (registration.DeclaredSize > 0 && (long)registration.DeclaredSize != staged.Size)
            {
                throw new SizeMismatchException(registration.DeclaredSize, staged.Size);
            }

            if (staged.Size == 0)
            {
                throw new InvalidArgumentException("binary", "is required (the upload was empty)");
            }

            var declaredEntrypoint = metadata?.TryGetProperty("entrypoint", out var e) == true && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            string format;
            string entrypoint;
            if (staged.IsZip)
            {
                format = FormatZip;
                entrypoint = content.PrepareZip(staged, declaredEntrypoint);
            }
            else
            {
                format = FormatExecutable;
                entrypoint = string.Empty;
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (store.HoldsImageContent)
            {
                // Before the image row exists, so every environment that can see the image can fetch its content.
                await using var upload = File.OpenRead(staged.Path);
                await store.WriteImageContentAsync(staged.Sha256, upload, cancellationToken).ConfigureAwait(false);
            }

            content.Commit(staged);
            // Earlier versions keep their content: instances pinned to them relaunch on it.
            var stored = await store.RegisterImageAsync(new ImageRecord(
                Guid.NewGuid().ToString(), registration.TenantId, registration.Name, registration.Description, registration.RunnerType, format, entrypoint,
                staged.Sha256, staged.Size, metadata?.GetRawText(), now, now), cancellationToken).ConfigureAwait(false);

            EnvironmentTelemetry.ImageBytesStored.Add(staged.Size);
            Log.ImageRegistered(logger, stored.ImageId, stored.TenantId, stored.Name, stored.Version, stored.Format, stored.SizeBytes, stored.Sha256);
            return stored;
        }
        finally
        {
            staged.Discard();
        }
    }

    /// <summary>The image when it exists and belongs to <paramref name="tenantId"/>; otherwise <see cref="ImageNotFoundException"/>.</summary>
    public async Task<ImageRecord> GetAsync(string imageId, string tenantId, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(imageId, "image_id");
        var image = await store.GetImageAsync(imageId, cancellationToken).ConfigureAwait(false);
        return image is not null && image.TenantId == tenantId ? image : throw new ImageNotFoundException(imageId);
    }

    /// <summary>One version of the tenant's image; <see cref="ImageNotFoundException"/> when the image or the version does not exist.</summary>
    public async Task<ImageRecord> GetVersionAsync(string imageId, string tenantId, int version, CancellationToken cancellationToken)
    {
        var image = await GetAsync(imageId, tenantId, cancellationToken).ConfigureAwait(false);
        return await store.GetImageVersionAsync(image.ImageId, version, cancellationToken).ConfigureAwait(false)
            ?? throw new ImageNotFoundException($"{imageId} version {version}");
    }

    /// <summary>The versions of the image <paramref name="reference"/> names (an id or a name), newest first.</summary>
    public async Task<IReadOnlyList<ImageRecord>> ListVersionsAsync(string reference, string tenantId, CancellationToken cancellationToken)
    {
        var image = await ResolveAsync(reference, tenantId, cancellationToken).ConfigureAwait(false);
        return await store.ListImageVersionsAsync(image.ImageId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes one version unless an instance that is not finished is pinned to it.</summary>
    public async Task DeleteVersionAsync(string imageId, string tenantId, int version, CancellationToken cancellationToken)
    {
        var image = await GetVersionAsync(imageId, tenantId, version, cancellationToken).ConfigureAwait(false);
        var active = await store.CountActiveRunsOfImageVersionAsync(imageId, version, cancellationToken).ConfigureAwait(false);
        if (active > 0)
        {
            throw new ImageInUseException($"{imageId} version {version}", active);
        }

        if (await store.DeleteImageVersionAsync(imageId, version, cancellationToken).ConfigureAwait(false))
        {
            await CollectAsync(image.Sha256, cancellationToken).ConfigureAwait(false);
            Log.ImageVersionDeleted(logger, imageId, version, tenantId);
        }
    }

    /// <summary>
    /// The image <paramref name="reference"/> names in the tenant: an image id, else the newest image
    /// registered under that name (how workflows name the images of their children).
    /// </summary>
    public async Task<ImageRecord> ResolveAsync(string reference, string tenantId, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(reference, "image");
        if (await store.GetImageAsync(reference, cancellationToken).ConfigureAwait(false) is { } byId && byId.TenantId == tenantId)
        {
            return byId;
        }

        // Newest first; a tenant's images fit a few pages.
        for (var offset = 0; ; offset += ResolvePageSize)
        {
            var page = await store.ListImagesAsync(tenantId, ResolvePageSize, offset, cancellationToken).ConfigureAwait(false);
            if (page.Items.FirstOrDefault(image => string.Equals(image.Name, reference, StringComparison.Ordinal)) is { } byName)
            {
                return byName;
            }

            if (page.Items.Count < ResolvePageSize)
            {
                throw new ImageNotFoundException(reference);
            }
        }
    }

    public Task<Page<ImageRecord>> ListAsync(string? tenantId, int limit, int offset, CancellationToken cancellationToken) =>
        store.ListImagesAsync(tenantId, limit, offset, cancellationToken);

    public async Task DeleteAsync(string imageId, string tenantId, CancellationToken cancellationToken)
    {
        var image = await GetAsync(imageId, tenantId, cancellationToken).ConfigureAwait(false);
        var active = await store.CountActiveRunsOfImageAsync(imageId, cancellationToken).ConfigureAwait(false);
        if (active > 0)
        {
            throw new ImageInUseException(imageId, active);
        }

        var versions = await store.ListImageVersionsAsync(imageId, cancellationToken).ConfigureAwait(false);
        if (await store.DeleteImageAsync(imageId, cancellationToken).ConfigureAwait(false))
        {
            // Warm containers and processes run the image's content: they go with it.
            warm?.DropImage(ImageRoot(image));
            warmProcesses?.DropImage(ImageRoot(image));
            foreach (var sha256 in versions.Select(v => v.Sha256).Append(image.Sha256).Distinct(StringComparer.Ordinal))
            {
                await CollectAsync(sha256, cancellationToken).ConfigureAwait(false);
            }

            Log.ImageDeleted(logger, imageId, tenantId);
        }
    }

    /// <summary>The file to execute and its arguments for an image.</summary>
    public (string FileName, IReadOnlyList<string> Arguments) ResolveEntrypoint(ImageRecord image, string dotnetHost)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Format == FormatZip)
        {
            var path = Path.Combine(content.ContentDirectory(image.Sha256), image.Entrypoint);
            return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (dotnetHost, [path]) : (path, []);
        }

        return (content.BlobPath(image.Sha256), []);
    }

    /// <summary>Where the image's content lies: its folder (zip) or its single file.</summary>
    public string ImageRoot(ImageRecord image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Format == FormatZip ? content.ContentDirectory(image.Sha256) : content.BlobPath(image.Sha256);
    }

    private async Task CollectAsync(string sha256, CancellationToken cancellationToken)
    {
        if (await store.CountImagesWithContentAsync(sha256, cancellationToken).ConfigureAwait(false) == 0)
        {
            content.Delete(sha256);
            if (store.HoldsImageContent)
            {
                // Other environments' local copies stay until they restart or need the disk: no image refers to them.
                await store.DeleteImageContentAsync(sha256, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Makes the image's content present under the local <c>&lt;data&gt;/images</c>: with a store that holds image
    /// content (PostgreSQL, several environments) content registered through another environment is fetched from
    /// it, its SHA-256 checked, and put in place as a registration would. <see cref="IOException"/> when it cannot be.
    /// </summary>
    public async Task EnsureLocalAsync(ImageRecord image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (IsLocal(image) || !store.HoldsImageContent)
        {
            return;
        }

        // One fetch per content at a time; launches waiting for the same content find it in place.
        using var held = await _fetches.AcquireAsync(image.Sha256, cancellationToken).ConfigureAwait(false);
        if (IsLocal(image))
        {
            return;
        }

        var pipe = new System.IO.Pipelines.Pipe();
        var fill = Task.Run(async () =>
        {
            var writer = pipe.Writer.AsStream();
            try
            {
                var found = await store.CopyImageContentAsync(image.Sha256, writer, cancellationToken).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync(found ? null : new FileNotFoundException($"image content {image.Sha256} is neither local nor in the database")).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                throw;
            }
        }, cancellationToken);

        StagedImage staged;
        try
        {
            staged = await content.StageAsync(pipe.Reader.AsStream(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A staging that stopped early (too large) must not leave the copy blocked on a full pipe.
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            try
            {
                await fill.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The staging read saw the same failure (the pipe carries it) and surfaces it.
            }
        }

        try
        {
            if (!string.Equals(staged.Sha256, image.Sha256, StringComparison.Ordinal))
            {
                throw new IOException($"image content {image.Sha256} fetched from the database has SHA-256 {staged.Sha256}");
            }

            if (image.Format == FormatZip)
            {
                content.PrepareZip(staged, image.Entrypoint);
            }

            content.Commit(staged);
            Log.ImageContentFetched(logger, image.Sha256, staged.Size);
        }
        finally
        {
            staged.Discard();
        }
    }

    private bool IsLocal(ImageRecord image) =>
        File.Exists(content.BlobPath(image.Sha256)) && (image.Format != FormatZip || Directory.Exists(content.ContentDirectory(image.Sha256)));

    private static JsonElement? ParseMetadata(byte[]? metadata)
    {
        if (metadata is null || metadata.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(metadata);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidArgumentException("metadata", "must be a JSON object");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidArgumentException("metadata", $"is not valid JSON: {ex.Message}");
        }
    }
}

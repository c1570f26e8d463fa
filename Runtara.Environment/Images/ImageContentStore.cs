using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Protocol.Images;

namespace Runtara.Environment.Images;

/// <summary>
/// Image content on disk, addressed by SHA-256: <c>images/blobs/&lt;sha&gt;</c> is the uploaded file,
/// <c>images/content/&lt;sha&gt;/</c> the extracted folder of a zip image. Uploads are staged under
/// <c>images/uploads/</c> and only moved into place after every check passed.
/// </summary>
internal sealed class ImageContentStore
{
    /// <summary>A zip image may expand to at most this many times the image size limit.</summary>
    private const int MaxExpansion = 4;

    private readonly string _root;
    private readonly long _maxSize;

    public ImageContentStore(IOptions<EnvironmentOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _root = Path.Combine(options.Value.ResolveDataDirectory(), "images");
        _maxSize = options.Value.MaxImageSize;
        Directory.CreateDirectory(Path.Combine(_root, "blobs"));
        Directory.CreateDirectory(Path.Combine(_root, "content"));
        Directory.CreateDirectory(Path.Combine(_root, "uploads"));
    }

    public string BlobPath(string sha256) => Path.Combine(_root, "blobs", sha256);

    public string ContentDirectory(string sha256) => Path.Combine(_root, "content", sha256);

    /// <summary>
    /// Copies <paramref name="source"/> to a staging file while hashing it; stops with
    /// <see cref="ImageTooLargeException"/> as soon as the size limit is passed.
    /// </summary>
    public async Task<StagedImage> StageAsync(Stream source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = Path.Combine(_root, "uploads", $"{Guid.NewGuid():N}.upload");
        var staged = new StagedImage(path);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long total = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > _maxSize)
                    {
                        throw new ImageTooLargeException(total, _maxSize);
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    var headerFilled = (int)Math.Min(4, total - read);
                    if (headerFilled < 4)
                    {
                        var take = Math.Min(4 - headerFilled, read);
                        buffer.AsSpan(0, take).CopyTo(staged.Header.AsSpan(headerFilled));
                    }
                }

                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            staged.Size = total;
            staged.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            return staged;
        }
        catch
        {
            staged.Discard();
            throw;
        }
    }

    /// <summary>
    /// Checks a zip image (entrypoint present, inside the folder, bounded expansion) by extracting it to
    /// a staging folder; returns the entrypoint relative to the folder.
    /// </summary>
    public string PrepareZip(StagedImage staged, string? entrypoint)
    {
        ArgumentNullException.ThrowIfNull(staged);
        var folder = staged.Path + ".d";
        staged.Folder = folder;
        try
        {
            using (var archive = ZipFile.OpenRead(staged.Path))
            {
                var expanded = archive.Entries.Sum(e => e.Length);
                if (expanded > _maxSize * MaxExpansion)
                {
                    throw new InvalidArgumentException("binary", $"is a zip that expands to {expanded} bytes, more than {MaxExpansion} times the image size limit");
                }
            }

            // ExtractToDirectory refuses entries that would land outside the folder (zip slip).
            ZipFile.ExtractToDirectory(staged.Path, folder);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidArgumentException("binary", $"looks like a zip archive but cannot be read: {ex.Message}");
        }
        catch (IOException ex) when (ex is not FileNotFoundException)
        {
            throw new InvalidArgumentException("binary", $"is a zip archive that cannot be extracted safely: {ex.Message}");
        }

        entrypoint = string.IsNullOrWhiteSpace(entrypoint) ? ImageEntrypoint.Infer(folder) : entrypoint.Trim();
        if (entrypoint is null)
        {
            throw new InvalidArgumentException("metadata.entrypoint", "is required for a zip image (e.g. {\"entrypoint\":\"MyWorkflow.dll\"}) when the folder has neither a single *.runtimeconfig.json nor a single native executable");
        }

        var full = Path.GetFullPath(Path.Combine(folder, entrypoint));
        if (Path.IsPathRooted(entrypoint) || !full.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidArgumentException("metadata.entrypoint", $"'{entrypoint}' must be a relative path inside the image");
        }

        if (!File.Exists(full))
        {
            throw new InvalidArgumentException("metadata.entrypoint", $"'{entrypoint}' is not a file in the image");
        }

        if (!full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(full, File.GetUnixFileMode(full) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return Path.GetRelativePath(folder, full).Replace('\\', '/');
    }

    /// <summary>Moves the checked upload into its content-addressed place (a no-op when that content is already stored).</summary>
    public void Commit(StagedImage staged)
    {
        ArgumentNullException.ThrowIfNull(staged);
        var blob = BlobPath(staged.Sha256);
        if (!File.Exists(blob))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(staged.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            File.Move(staged.Path, blob, overwrite: true);
        }

        if (staged.Folder is not null && !Directory.Exists(ContentDirectory(staged.Sha256)))
        {
            try
            {
                Directory.Move(staged.Folder, ContentDirectory(staged.Sha256));
            }
            catch (IOException) when (Directory.Exists(ContentDirectory(staged.Sha256)))
            {
                // Another upload of the same content won the race; its folder is identical.
            }
        }

        staged.Discard();
    }

    /// <summary>Removes stored content no image refers to any more.</summary>
    public void Delete(string sha256)
    {
        TryDelete(() => File.Delete(BlobPath(sha256)));
        TryDelete(() => Directory.Delete(ContentDirectory(sha256), recursive: true));
    }

    private static void TryDelete(Action delete)
    {
        try
        {
            delete();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: orphaned content costs disk, never correctness.
        }
    }
}

/// <summary>An upload being checked: its staging file (and folder, for zips), hash and size.</summary>
internal sealed class StagedImage(string path)
{
    public string Path { get; } = path;

    public string? Folder { get; set; }

    public string Sha256 { get; set; } = string.Empty;

    public long Size { get; set; }

    /// <summary>First bytes of the content (format detection).</summary>
    public byte[] Header { get; } = new byte[4];

    /// <summary>True when the content starts with a zip local-file header.</summary>
    public bool IsZip => Size >= 4 && Header is [0x50, 0x4B, 0x03, 0x04];

    public void Discard()
    {
        try
        {
            File.Delete(Path);
            if (Folder is not null && Directory.Exists(Folder))
            {
                Directory.Delete(Folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next start's cleanup of images/uploads.
        }
    }
}

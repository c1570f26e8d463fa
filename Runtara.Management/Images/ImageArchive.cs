using System.IO.Compression;

namespace Runtara.Management.Images;

/// <summary>
/// A published app folder zipped into a temporary file, the form the environment stores a folder
/// image in; disposing deletes the file.
/// </summary>
public sealed class ImageArchive : IAsyncDisposable
{
    private ImageArchive(string path) => Path = path;

    /// <summary>The temporary zip.</summary>
    public string Path { get; }

    /// <summary>Zips the contents of <paramref name="directory"/> (not the folder itself) into a temporary file.</summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    public static async Task<ImageArchive> CreateAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The image folder '{directory}' does not exist.");
        }

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"runtara-image-{Guid.NewGuid():N}.zip");
        try
        {
            await ZipFile.CreateFromDirectoryAsync(directory, path, CompressionLevel.Fastest, includeBaseDirectory: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return new ImageArchive(path);
    }

    /// <summary>Deletes the temporary zip.</summary>
    public ValueTask DisposeAsync()
    {
        File.Delete(Path);
        return ValueTask.CompletedTask;
    }
}

using System.Buffers;

namespace Runtara.Environment.Storage;

/// <summary>
/// Image content in the database (docs/environment.md, "Several environments"): 1 MiB chunks by SHA-256, written
/// at registration and read by an environment whose local image cache lacks them. Only PostgreSQL keeps them
/// (<see cref="HoldsImageContent"/>): a SQLite store serves one environment, whose files are the content.
/// </summary>
public abstract partial class SqlEnvironmentStore
{
    /// <summary>Size of one stored chunk.</summary>
    public const int ImageChunkSize = 1024 * 1024;

    public virtual bool HoldsImageContent => false;

    public Task<bool> WriteImageContentAsync(string sha256, Stream source, CancellationToken cancellationToken) => Run("write image content", async token =>
    {
        ArgumentException.ThrowIfNullOrEmpty(sha256);
        ArgumentNullException.ThrowIfNull(source);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        await using (var existing = Command(connection, transaction, "SELECT COUNT(*) FROM image_chunks WHERE sha256 = @sha", ("sha", sha256)))
        {
            if (Convert.ToInt64(await existing.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                // Content is addressed by its hash: stored once, whatever registered it.
                return false;
            }
        }

        var buffer = ArrayPool<byte>.Shared.Rent(ImageChunkSize);
        try
        {
            for (var seq = 0; ; seq++)
            {
                var filled = await source.ReadAtLeastAsync(buffer.AsMemory(0, ImageChunkSize), ImageChunkSize, throwOnEndOfStream: false, token).ConfigureAwait(false);
                if (filled == 0)
                {
                    break;
                }

                // A concurrent registration of the same content writes the same chunks: the first one stays.
                await using var insert = Command(connection, transaction, "INSERT INTO image_chunks (sha256, seq, bytes) VALUES (@sha, @seq, @bytes) ON CONFLICT (sha256, seq) DO NOTHING",
                    ("sha", sha256), ("seq", seq), ("bytes", buffer.AsSpan(0, filled).ToArray()));
                await insert.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                if (filled < ImageChunkSize)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await transaction.CommitAsync(token).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<bool> CopyImageContentAsync(string sha256, Stream destination, CancellationToken cancellationToken) => Run("read image content", async token =>
    {
        ArgumentException.ThrowIfNullOrEmpty(sha256);
        ArgumentNullException.ThrowIfNull(destination);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT bytes FROM image_chunks WHERE sha256 = @sha ORDER BY seq", ("sha", sha256));
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, token).ConfigureAwait(false);
        var found = false;
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            found = true;
            await using var chunk = reader.GetStream(0);
            await chunk.CopyToAsync(destination, token).ConfigureAwait(false);
        }

        return found;
    }, cancellationToken);

    public Task DeleteImageContentAsync(string sha256, CancellationToken cancellationToken) => Run("delete image content", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM image_chunks WHERE sha256 = @sha", ("sha", sha256));
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        return true;
    }, cancellationToken);
}

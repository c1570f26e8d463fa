using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Runtara.Protocol.Hosting;

/// <summary>
/// The small JSON file a server writes into its data directory once its ports are bound (the real
/// ports when 0 was configured), so tools and tests that started it can find and trust it.
/// Shared by the core and the environment; each defines its own record of what it publishes, with
/// source-generated JSON metadata so the file works in trimmed and native AOT builds too.
/// </summary>
public static class EndpointsFile
{
    /// <summary>
    /// Writes <paramref name="endpoints"/> atomically (temporary file, then rename), so readers never
    /// see half a file. A failed write (e.g. a full disk) removes its temporary file before it throws.
    /// </summary>
    public static async Task WriteAsync<T>(T endpoints, JsonTypeInfo<T> typeInfo, string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var temporary = $"{path}.{System.Environment.ProcessId}.tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(endpoints, typeInfo), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Removes what dead processes left: temporary files <c>&lt;path&gt;.&lt;pid&gt;.tmp</c> of processes
    /// that no longer run, and the file itself when <paramref name="processIdOf"/> names one. Called at
    /// start, before the server writes its own file.
    /// </summary>
    /// <returns>The files removed.</returns>
    public static IReadOnlyList<string> RemoveStale<T>(JsonTypeInfo<T> typeInfo, string path, Func<T, int> processIdOf)
        where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(processIdOf);
        var removed = new List<string>();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var prefix = Path.GetFileName(path) + ".";
        if (!Directory.Exists(directory))
        {
            return removed;
        }

        foreach (var file in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
        {
            var pid = Path.GetFileName(file)[prefix.Length..^".tmp".Length];
            if (int.TryParse(pid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && !IsRunning(id) && TryDelete(file))
            {
                removed.Add(file);
            }
        }

        if (TryRead(typeInfo, path) is { } published && !IsRunning(processIdOf(published)) && TryDelete(path))
        {
            removed.Add(path);
        }

        return removed;
    }

    private static bool IsRunning(int processId)
    {
        if (processId == System.Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads the file, or null when it is absent or unreadable.</summary>
    public static T? TryRead<T>(JsonTypeInfo<T> typeInfo, string path)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), typeInfo);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

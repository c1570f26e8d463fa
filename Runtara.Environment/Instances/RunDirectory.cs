using System.Text;

namespace Runtara.Environment.Instances;

/// <summary>
/// Files of one instance: <c>&lt;data&gt;/runs/&lt;tenant&gt;/&lt;instance&gt;/</c> with <c>input.json</c>,
/// <c>output.json</c>, <c>stdout.log</c>, <c>stderr.log</c> and <c>workspace/</c>. Tenant and instance
/// ids are validated by <see cref="Identifiers"/> before they get here.
/// </summary>
internal sealed class RunDirectory
{
    public RunDirectory(string dataDirectory, string tenantId, string instanceId)
    {
        if (!Identifiers.IsValid(tenantId) || !Identifiers.IsValid(instanceId))
        {
            throw new ArgumentException("Tenant and instance ids must be validated before they are used in paths.");
        }

        Path = System.IO.Path.Combine(dataDirectory, "runs", tenantId, instanceId);
    }

    public string Path { get; }

    public string InputPath => System.IO.Path.Combine(Path, "input.json");

    public string OutputPath => System.IO.Path.Combine(Path, "output.json");

    public string StdoutPath => System.IO.Path.Combine(Path, "stdout.log");

    public string StderrPath => System.IO.Path.Combine(Path, "stderr.log");

    public string WorkspacePath => System.IO.Path.Combine(Path, "workspace");

    /// <summary>Creates the folders and writes the input (owner-only permissions).</summary>
    public void Prepare(byte[] input)
    {
        var created = Directory.CreateDirectory(Path);
        Directory.CreateDirectory(WorkspacePath);
        if (!OperatingSystem.IsWindows())
        {
            created.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        File.WriteAllBytes(InputPath, input);
        // A stale output from an earlier run must not be mistaken for this run's.
        File.Delete(OutputPath);
    }

    /// <summary>The last <paramref name="bytes"/> bytes of stderr as text, or null when there is none.</summary>
    public string? ReadStderrTail(int bytes) => ReadTail(StderrPath, bytes);

    public static string? ReadTail(string path, int bytes)
    {
        if (bytes <= 0)
        {
            return null;
        }

        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length == 0)
            {
                return null;
            }

            var length = (int)Math.Min(bytes, file.Length);
            file.Seek(-length, SeekOrigin.End);
            var buffer = new byte[length];
            file.ReadExactly(buffer);
            var text = Encoding.UTF8.GetString(buffer);
            // Drop a partial first line (and a partial UTF-8 sequence) when the tail cut into the file.
            if (length < file.Length && text.IndexOf('\n', StringComparison.Ordinal) is var newline and >= 0 && newline < text.Length - 1)
            {
                text = text[(newline + 1)..];
            }

            return text;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

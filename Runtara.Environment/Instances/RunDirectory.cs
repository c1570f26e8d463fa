using System.Text;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Instances;

/// <summary>
/// Files of one instance: <c>&lt;data&gt;/runs/&lt;tenant&gt;/&lt;instance&gt;/</c> with <c>input.json</c>,
/// <c>output.json</c>, <c>stdout.log</c>, <c>stderr.log</c>, <c>workspace/</c> and <c>tmp/</c>. Tenant and instance
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

    /// <summary>rwx--x--x: passable by every user, listable only by the environment.</summary>
    public const UnixFileMode PassOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public string Path { get; }

    public string InputPath => System.IO.Path.Combine(Path, "input.json");

    public string OutputPath => System.IO.Path.Combine(Path, "output.json");

    public string StdoutPath => System.IO.Path.Combine(Path, "stdout.log");

    public string StderrPath => System.IO.Path.Combine(Path, "stderr.log");

    public string WorkspacePath => System.IO.Path.Combine(Path, "workspace");

    /// <summary>The run's own temporary folder (<c>TMPDIR</c>): the host's <c>/tmp</c> is shared by every run.</summary>
    public string TempPath => System.IO.Path.Combine(Path, "tmp");

    /// <summary>
    /// Creates the folders and writes the input (owner-only permissions). With <paramref name="userId"/>
    /// the directory and what is in it then belong to that user (docs/security.md); <c>runs/</c> and the
    /// tenant's folder are 0711, so a run reaches its own directory only by knowing its path.
    /// </summary>
    public void Prepare(byte[] input, int? userId = null)
    {
        var tenant = System.IO.Path.GetDirectoryName(Path)!;
        if (!OperatingSystem.IsWindows())
        {
            // Created one by one so each gets its mode (Directory.CreateDirectory's mode is reduced by the umask).
            foreach (var parent in new[] { System.IO.Path.GetDirectoryName(tenant)!, tenant })
            {
                Directory.CreateDirectory(parent);
                File.SetUnixFileMode(parent, PassOnly);
            }
        }

        var created = Directory.CreateDirectory(Path);
        Directory.CreateDirectory(WorkspacePath);
        var temp = Directory.CreateDirectory(TempPath);
        if (!OperatingSystem.IsWindows())
        {
            created.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            temp.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        // An earlier launch's user owned this directory and may have left links, FIFOs or folders at these
        // names: the environment writes input.json and opens the logs (as itself) and must neither follow
        // a link nor block on a FIFO.
        foreach (var file in new[] { InputPath, OutputPath, StdoutPath, StderrPath })
        {
            if (Directory.Exists(file) && !Runner.UnixFiles.IsLink(file))
            {
                Directory.Delete(file, recursive: true);
            }
            else if (!Runner.UnixFiles.IsRegularFile(file))
            {
                File.Delete(file);
            }
        }

        // Deleted first: writing through an existing file would keep its owner and links.
        File.Delete(InputPath);
        File.WriteAllBytes(InputPath, input);
        // A stale output from an earlier run must not be mistaken for this run's.
        File.Delete(OutputPath);
        if (userId is { } uid)
        {
            Runner.UnixFiles.ChangeOwnerRecursively(Path, (uint)uid, (uint)uid);
        }
    }

    /// <summary>The output the instance left, unless it is missing or a link (which must not be followed).</summary>
    public InstanceOutput? ReadOutput()
    {
        using var file = Runner.UnixFiles.OpenReadNoFollow(OutputPath);
        if (file is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        try
        {
            file.CopyTo(buffer);
        }
        catch (IOException)
        {
            return null;
        }

        return InstanceOutput.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
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
            // A link left by the instance could point at a file only the environment may read.
            using var file = Runner.UnixFiles.OpenReadNoFollow(path);
            if (file is null || file.Length == 0)
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

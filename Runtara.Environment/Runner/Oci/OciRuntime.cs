using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Runtara.Environment.Runner.Oci;

/// <summary>
/// The OCI runtime binary (<c>runc</c> or <c>crun</c>) and its state directory: found and tried once
/// (<see cref="Probe"/>: <c>--version</c>, then a container running <c>true</c>), then used for
/// <c>state</c> and <c>delete</c>. A runtime that cannot run containers here leaves <see cref="Path"/>
/// null and says why in <see cref="Problem"/>.
/// </summary>
internal sealed class OciRuntime
{
    private static readonly string[] Candidates = ["runc", "crun"];

    private OciRuntime(string? path, string? version, string? problem, string stateRoot)
    {
        Path = path;
        Version = version;
        Problem = problem;
        StateRoot = stateRoot;
    }

    /// <summary>The runtime in use; null when none works.</summary>
    public string? Path { get; }

    /// <summary>First line of its <c>--version</c>.</summary>
    public string? Version { get; }

    /// <summary>Why no runtime (or why the configured one) cannot be used.</summary>
    public string? Problem { get; }

    /// <summary>The runtime's <c>--root</c>: where it keeps its containers' state.</summary>
    public string StateRoot { get; }

    /// <summary>
    /// Finds the runtime: <paramref name="configured"/> only when set, else <c>runc</c> then <c>crun</c>
    /// from <c>PATH</c>; each is asked its version and must run a probe container (as
    /// <paramref name="options"/> would run an instance: read-only root, no network, unprivileged user).
    /// </summary>
    public static OciRuntime Probe(OciOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stateRoot = StateRootOf(options);
        var problems = new List<string>();
        foreach (var candidate in string.IsNullOrWhiteSpace(options.Runtime) ? Candidates : [options.Runtime])
        {
            var path = Resolve(candidate);
            if (path is null)
            {
                problems.Add($"{candidate}: not found");
                OciLog.RuntimeSkipped(logger, candidate, "not found");
                continue;
            }

            var version = Exec(path, ["--version"], TimeSpan.FromSeconds(10));
            if (version.ExitCode != 0)
            {
                problems.Add($"{path}: --version failed: {version.Error}");
                OciLog.RuntimeSkipped(logger, path, version.Error);
                continue;
            }

            var firstLine = version.Output.Split('\n', 2)[0].Trim();
            var runtime = new OciRuntime(path, firstLine, null, stateRoot);
            if (runtime.TryProbeContainer(options) is { } failure)
            {
                problems.Add($"{path}: cannot run a container: {failure}");
                OciLog.RuntimeSkipped(logger, path, failure);
                continue;
            }

            OciLog.RuntimeSelected(logger, path, firstLine, stateRoot);
            return runtime;
        }

        var problem = string.Join("; ", problems);
        OciLog.NoRuntime(logger, problem);
        return new OciRuntime(null, null, problem, stateRoot);
    }

    /// <summary>The configured state directory, else <c>/run/runtara-oci</c> (apart from runc's own <c>/run/runc</c>).</summary>
    public static string StateRootOf(OciOptions options) =>
        !string.IsNullOrWhiteSpace(options.StateRoot) ? System.IO.Path.GetFullPath(options.StateRoot)
        : options.EnvironmentScope.Length == 0 ? "/run/runtara-oci"
        : $"/run/runtara-oci/{options.EnvironmentScope}";

    /// <summary>Runs the runtime with <c>--root</c> and <paramref name="arguments"/>; stdout and stderr are captured.</summary>
    public (int ExitCode, string Output, string Error) Run(TimeSpan timeout, params string[] arguments) =>
        Path is null ? (-1, string.Empty, Problem ?? "no OCI runtime") : Exec(Path, ["--root", StateRoot, .. arguments], timeout);

    /// <summary>The arguments that run <paramref name="containerId"/> from <paramref name="bundle"/> in the foreground, keeping it (and its cgroup) after it exits.</summary>
    public string[] RunArguments(string bundle, string pidFile, string containerId) =>
        ["--root", StateRoot, "run", "--keep", "--bundle", bundle, "--pid-file", pidFile, containerId];

    /// <summary>The arguments that create <paramref name="containerId"/> from <paramref name="bundle"/> without starting its process (a warm container: <c>start</c> runs it).</summary>
    public string[] CreateArguments(string bundle, string pidFile, string containerId) =>
        ["--root", StateRoot, "create", "--bundle", bundle, "--pid-file", pidFile, containerId];

    /// <summary>Whether the runtime holds state of <paramref name="containerId"/> (cheap: no process).</summary>
    public bool HasState(string containerId) => Directory.Exists(System.IO.Path.Combine(StateRoot, containerId));

    /// <summary><c>state</c>: the container's status and init pid, or null when it does not exist.</summary>
    public (string Status, int Pid)? State(string containerId)
    {
        var (code, output, _) = Run(TimeSpan.FromSeconds(10), "state", containerId);
        if (code != 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(output);
            var root = document.RootElement;
            return (root.GetProperty("status").GetString() ?? string.Empty, root.GetProperty("pid").GetInt32());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary><c>delete --force</c>: kills what is left of the container and removes its state and cgroup; true when nothing is left.</summary>
    public bool Delete(string containerId) => !HasState(containerId) || Run(TimeSpan.FromSeconds(10), "delete", "--force", containerId).ExitCode == 0 || !HasState(containerId);

    private string? TryProbeContainer(OciOptions options)
    {
        var truePath = new[] { "/usr/bin/true", "/bin/true" }.FirstOrDefault(File.Exists);
        if (truePath is null)
        {
            return null;
        }

        var bundle = Directory.CreateTempSubdirectory("runtara-oci-probe-").FullName;
        var id = $"runtara-probe-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(System.IO.Path.Combine(bundle, "rootfs"));
            var mounts = OciBundle.SystemMounts.Where(p => Directory.Exists(p) || File.Exists(p)).Select(p => new OciMount(p, p, true)).ToList();
            mounts.Add(new OciMount(truePath, "/true", true));
            var plan = new OciPlan(["/true"], new Dictionary<string, string>(), "/", mounts, false, null, 16, null);
            File.WriteAllText(System.IO.Path.Combine(bundle, "config.json"), OciBundle.Config(plan, options, OciBundle.CgroupsPath(options, id), limitSwap: false).ToJsonString());
            var (code, _, error) = Run(TimeSpan.FromSeconds(30), "run", "--bundle", bundle, id);
            return code == 0 ? null : $"exit code {code}: {error.Trim()}";
        }
        finally
        {
            Delete(id);
            Directory.Delete(bundle, recursive: true);
        }
    }

    private static string? Resolve(string candidate)
    {
        if (candidate.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(candidate) ? System.IO.Path.GetFullPath(candidate) : null;
        }

        return (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => System.IO.Path.Combine(folder, candidate))
            .FirstOrDefault(File.Exists);
    }

    private static (int ExitCode, string Output, string Error) Exec(string fileName, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, string.Empty, $"timed out after {timeout.TotalSeconds:0} s");
            }

            return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult().Trim());
        }
        catch (Win32Exception ex)
        {
            return (-1, string.Empty, ex.Message);
        }
    }
}

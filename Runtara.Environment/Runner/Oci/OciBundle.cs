using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Rpc;

namespace Runtara.Environment.Runner.Oci;

/// <summary>A bind mount of a host path into the container.</summary>
internal sealed record OciMount(string Source, string Destination, bool ReadOnly);

/// <summary>Everything a container is made of, in container terms: what <see cref="OciBundle.Config"/> writes.</summary>
internal sealed record OciPlan(
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    IReadOnlyList<OciMount> Mounts,
    bool HostNetwork,
    long? MemoryLimitBytes,
    int? PidsLimit,
    double? CpuLimit)
{
    /// <summary>The uid and gid the process runs as inside: the run's own user when the environment gives each run one, else <see cref="OciOptions.User"/>/<see cref="OciOptions.Group"/>.</summary>
    public (int Uid, int Gid)? User { get; init; }
}

/// <summary>
/// Turns a <see cref="LaunchRequest"/> into an OCI bundle: an empty read-only root with the image at
/// <c>/app</c>, the .NET runtime at <c>/usr/share/dotnet</c> (framework-dependent images only), the
/// system libraries and certificates read-only, the run directory writable at
/// <c>/run/runtara/instance</c> and the core's instance socket at <c>/run/runtara/core.sock</c>.
/// Host paths in the command and the launch variables are rewritten to their container paths. Pure.
/// </summary>
internal static class OciBundle
{
    public const string AppPath = "/app";
    public const string DotnetPath = "/usr/share/dotnet";
    public const string RunPath = "/run/runtara/instance";
    public const string CoreSocketPath = "/run/runtara/core.sock";
    public const string TlsPath = "/run/runtara/tls";

    /// <summary>Host folders bound read-only into every container when they exist: libraries and the CA certificates (outbound TLS of images with network).</summary>
    public static readonly IReadOnlyList<string> SystemMounts = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ssl/certs"];

    /// <summary>Container ids allow <c>[A-Za-z0-9_.-]</c>: instance ids are made of these; anything else is hashed.</summary>
    public static string ContainerId(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        var safe = instanceId.Length is > 0 and <= 128 && instanceId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
        return "runtara-" + (safe ? instanceId : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(instanceId)))[..32]);
    }

    /// <summary>
    /// Plans the container of <paramref name="request"/>. Throws <see cref="LaunchFailedException"/> when the
    /// instance could not reach the core: no network and no <c>unix:</c> core address.
    /// </summary>
    /// <param name="pathExists">Whether a host path exists (system mounts that are missing are skipped).</param>
    public static OciPlan Plan(LaunchRequest request, OciImageSettings image, OciOptions options, Func<string, bool> pathExists)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pathExists);
        var mounts = new List<OciMount>();
        foreach (var path in SystemMounts.Where(pathExists))
        {
            mounts.Add(new(path, path, ReadOnly: true));
        }

        // The image: a folder (zip images) or a single executable file.
        var imageRoot = request.ImageRoot ?? Path.GetDirectoryName(request.FileName)
            ?? throw new LaunchFailedException(request.InstanceId, "the image's location is unknown");
        var imageIsFile = File.Exists(imageRoot);
        var imageTarget = imageIsFile ? $"{AppPath}/{Path.GetFileName(imageRoot)}" : AppPath;
        mounts.Add(new(imageRoot, imageTarget, ReadOnly: true));
        mounts.Add(new(request.WorkingDirectory, RunPath, ReadOnly: false));

        // A framework-dependent image runs under the dotnet host: bind the host's .NET folder too.
        string? dotnetRoot = null;
        if (!IsUnder(request.FileName, imageRoot))
        {
            dotnetRoot = Path.GetDirectoryName(request.FileName)
                ?? throw new LaunchFailedException(request.InstanceId, $"'{request.FileName}' is not a path");
            mounts.Add(new(dotnetRoot, DotnetPath, ReadOnly: true));
        }

        string Map(string value)
        {
            foreach (var (host, container) in (ReadOnlySpan<(string?, string)>)[(request.WorkingDirectory, RunPath), (imageRoot, imageTarget), (dotnetRoot, DotnetPath)])
            {
                if (host is not null && IsUnder(value, host))
                {
                    return container + value[host.TrimEnd('/').Length..];
                }
            }

            return value;
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Environment)
        {
            environment[key] = Map(value);
        }

        var core = request.Environment.GetValueOrDefault(LaunchVariables.ServerAddress) ?? string.Empty;
        if (core.StartsWith(RpcAddress.UnixScheme, StringComparison.Ordinal))
        {
            mounts.Add(new(core[RpcAddress.UnixScheme.Length..], CoreSocketPath, ReadOnly: false));
            environment[LaunchVariables.ServerAddress] = RpcAddress.UnixScheme + CoreSocketPath;
        }
        else if (image.HostNetwork != true)
        {
            throw new LaunchFailedException(request.InstanceId,
                $"the OCI runner gives instances no network, and the core's instance socket is not available (RUNTARA_SERVER_ADDR would be '{core}'): " +
                "set Runtara:Environment:CoreInstanceSocket to the core's instance socket, or opt the image in to the host network (metadata \"network\": \"host\")");
        }

        // Certificates the instance is told to trust (TLS to the core over the host network).
        foreach (var (key, name) in (ReadOnlySpan<(string, string)>)[(LaunchVariables.PinnedCertificate, "pinned.crt"), (LaunchVariables.CaCertificate, "ca.crt")])
        {
            if (request.Environment.TryGetValue(key, out var certificate) && pathExists(certificate))
            {
                mounts.Add(new(certificate, $"{TlsPath}/{name}", ReadOnly: true));
                environment[key] = $"{TlsPath}/{name}";
            }
        }

        if (dotnetRoot is not null)
        {
            environment["DOTNET_ROOT"] = DotnetPath;
        }

        // The host's home and temporary folders do not exist inside: both point at writable places.
        environment["HOME"] = environment.GetValueOrDefault(LaunchVariables.WorkspaceDirectory) ?? RunPath;
        environment["TMPDIR"] = "/tmp";

        var memory = image.MemoryLimitMb ?? options.DefaultMemoryLimitMb;
        return new OciPlan(
            [Map(request.FileName), .. request.Arguments.Select(Map)],
            environment,
            environment.GetValueOrDefault(LaunchVariables.WorkspaceDirectory) ?? RunPath,
            mounts,
            image.HostNetwork == true,
            memory is { } mb ? mb * 1024L * 1024 : null,
            image.PidsLimit ?? options.DefaultPidsLimit,
            image.CpuLimit ?? options.DefaultCpuLimit)
        {
            User = request.UserId is { } uid ? (uid, uid) : null,
        };
    }

    /// <summary>The bundle's <c>config.json</c> (OCI runtime spec 1.0) for <paramref name="plan"/>.</summary>
    /// <param name="limitSwap">Whether the kernel accounts swap (cgroup v1 <c>memory.memsw.*</c>): then swap is capped at the memory limit, so an instance over it is killed, not swapped.</param>
    public static JsonObject Config(OciPlan plan, OciOptions options, string cgroupsPath, bool limitSwap)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            // .NET reads its memory and CPU limits from the cgroup files.
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro"),
            Mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", $"size={options.TmpSizeMb}m"),
        };
        foreach (var mount in plan.Mounts)
        {
            mounts.Add(Mount(mount.Destination, "bind", mount.Source, "rbind", mount.ReadOnly ? "ro" : "rw", "nosuid", "nodev"));
        }

        var namespaces = new JsonArray
        {
            new JsonObject { ["type"] = "pid" },
            new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" },
        };
        if (!plan.HostNetwork)
        {
            namespaces.Add(new JsonObject { ["type"] = "network" });
        }

        var resources = new JsonObject
        {
            ["devices"] = new JsonArray { new JsonObject { ["allow"] = false, ["access"] = "rwm" } },
        };
        if (plan.MemoryLimitBytes is { } memory)
        {
            resources["memory"] = limitSwap ? new JsonObject { ["limit"] = memory, ["swap"] = memory } : new JsonObject { ["limit"] = memory };
        }

        if (plan.PidsLimit is { } pids)
        {
            resources["pids"] = new JsonObject { ["limit"] = pids };
        }

        if (plan.CpuLimit is { } cpus)
        {
            const long period = 100_000;
            resources["cpu"] = new JsonObject { ["quota"] = (long)Math.Round(cpus * period), ["period"] = period };
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = plan.User?.Uid ?? options.User, ["gid"] = plan.User?.Gid ?? options.Group },
                ["args"] = new JsonArray([.. plan.Args.Select(a => (JsonNode?)a)]),
                ["env"] = new JsonArray([.. plan.Environment.Select(e => (JsonNode?)$"{e.Key}={e.Value}")]),
                ["cwd"] = plan.WorkingDirectory,
                // No capabilities at all, and none to gain through set-uid files.
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = new JsonArray(),
                    ["effective"] = new JsonArray(),
                    ["inheritable"] = new JsonArray(),
                    ["permitted"] = new JsonArray(),
                    ["ambient"] = new JsonArray(),
                },
                ["noNewPrivileges"] = true,
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = true },
            ["hostname"] = "runtara",
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = cgroupsPath,
                ["namespaces"] = namespaces,
                ["resources"] = resources,
                ["maskedPaths"] = new JsonArray([.. MaskedPaths.Select(p => (JsonNode?)p)]),
                ["readonlyPaths"] = new JsonArray([.. ReadonlyPaths.Select(p => (JsonNode?)p)]),
            },
        };
    }

    /// <summary>What runc's default spec masks and makes read-only in <c>/proc</c> and <c>/sys</c>.</summary>
    private static readonly string[] MaskedPaths =
        ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"];

    private static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or inside it.</summary>
    private static bool IsUnder(string path, string folder)
    {
        var root = folder.TrimEnd('/');
        return path == root || path.StartsWith(root + "/", StringComparison.Ordinal);
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = new JsonArray([.. options.Select(o => (JsonNode?)o)]),
    };

    /// <summary>Whether the kernel accounts swap (cgroup v1 <c>memory.memsw.*</c>): the <c>limitSwap</c> of <see cref="Config"/>.</summary>
    public static bool KernelLimitsSwap => File.Exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");

    /// <summary>The cgroup path of a container: <c>/&lt;parent&gt;/oci-&lt;environment scope&gt;/&lt;id&gt;</c>.</summary>
    public static string CgroupsPath(OciOptions options, string containerId) =>
        options.EnvironmentScope.Length == 0
            ? string.Create(CultureInfo.InvariantCulture, $"/{options.CgroupParent.Trim('/')}/{containerId}")
            : string.Create(CultureInfo.InvariantCulture, $"/{options.CgroupParent.Trim('/')}/oci-{options.EnvironmentScope}/{containerId}");
}

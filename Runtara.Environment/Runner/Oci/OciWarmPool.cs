using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Runner.Warm;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Runner.Oci;

/// <summary>A created, not yet started container waiting for a run in its slot directory.</summary>
internal sealed record WarmSlot(string ContainerId, string Directory, string Holder, int? Uid, int Pid, long StartTicks, long? MemoryLimitBytes) : IWarmSlot
{
    string IWarmSlot.Id => ContainerId;
}

/// <summary>What an image's warm containers are made from: the plan of the launch that made its pool, and that run's directory.</summary>
internal sealed record OciWarmTemplate(OciPlan Plan, string RunDirectory);

/// <summary>
/// Warm containers of the OCI runner (docs/environment.md, "Warm containers"): per image, up to
/// <see cref="OciOptions.WarmContainers"/> (or the image's <c>"warm"</c>) containers created ahead with
/// <c>runc create</c> on a slot directory <c>&lt;data&gt;/runs/.warm/&lt;container id&gt;</c>, so a first launch
/// only pays <c>runc start</c>. A slot is made for one container shape (the image's config with the run's
/// directory, user and run variables left out, <see cref="KeyOf"/>); a launch of another shape takes the cold
/// path and re-makes the image's pool for it. On hand-off the run's prepared files move into the slot, the
/// slot directory is renamed to the run directory (the container's bind mount and its open log descriptors
/// follow the inode), the run's variables go to the launch file, and the container is started. The pool
/// refills in the background; slots never handed over are deleted at shutdown, on image deletion, and at
/// the next start after a crash (<see cref="CleanLeftovers"/>). The pool's bookkeeping is shared with warm
/// processes (<see cref="WarmPool{TSlot, TTemplate}"/>).
/// </summary>
internal sealed class OciWarmPool : WarmPool<WarmSlot, OciWarmTemplate>
{
    /// <summary>Warm container ids: never derived from an instance id (the run is unknown at create).</summary>
    public const string IdPrefix = "runtara-warm-";

    /// <summary>The launch file's name in the run directory (<see cref="OciBundle.RunPath"/> inside).</summary>
    public const string LaunchFileName = "launch.json";

    private readonly OciOptions _options;
    private readonly ProcessRunner _processes;
    private readonly ILogger _logger;
    private OciRuntime? _runtime;

    public OciWarmPool(IOptions<EnvironmentOptions> options, ProcessRunner processes, InstanceUsers users, ILogger<OciWarmPool> logger)
        : base(users, Path.Combine((options ?? throw new ArgumentNullException(nameof(options))).Value.ResolveDataDirectory(), "runs", ".warm"))
    {
        _options = options.Value.Oci;
        _processes = processes;
        _logger = logger;
    }

    /// <summary>How many warm containers the image wants: its metadata's <c>"warm"</c>, else the configured default.</summary>
    public int SizeFor(OciImageSettings image) => image.Warm ?? _options.WarmContainers;

    /// <summary>
    /// The container's shape without its run: the config of <paramref name="plan"/> with the run directory,
    /// the user, the run variables and the cgroup left out. Runs with equal keys can share warm containers.
    /// </summary>
    public static string KeyOf(OciPlan plan, string runDirectory, OciOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return OciBundle.Config(Template(plan, runDirectory, string.Empty, null), options, string.Empty, limitSwap: false).ToJsonString();
    }

    /// <summary>
    /// Takes a ready warm container for a run of <paramref name="plan"/>'s shape, or null (the caller launches
    /// cold); either way the image's pool is (re)made for this shape. The caller calls <see cref="Refill"/>
    /// once its container has started.
    /// </summary>
    public WarmSlot? TryTake(OciRuntime runtime, string imageRoot, int size, OciPlan plan, string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        return TryTake(imageRoot, size, KeyOf(plan, runDirectory, _options), new OciWarmTemplate(plan, runDirectory));
    }

    /// <summary>Refills the image's pool (<see cref="WarmPool{TSlot, TTemplate}.Refill(string)"/>) with containers of <paramref name="runtime"/>.</summary>
    public void Refill(OciRuntime runtime, string imageRoot)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        Refill(imageRoot);
    }

    /// <summary>
    /// Hands <paramref name="slot"/> to the run of <paramref name="request"/> (its directory prepared, not yet
    /// used): moves the run's files into the slot, renames the slot to the run directory, writes the launch
    /// file and gives it all to the run's user. Returns the uid the container runs as. The container is not
    /// started: the caller runs <c>start</c>.
    /// </summary>
    public int HandOver(WarmSlot slot, LaunchRequest request, OciPlan plan)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(plan);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("OCI containers run on Linux only.");
        }

        var run = request.WorkingDirectory;
        MoveRunInto(slot.Directory, run);

        var uid = Users.HandOver(slot.Holder, request.InstanceId) ?? _options.User;
        var gid = slot.Uid is null ? _options.Group : uid;
        var launchFile = Path.Combine(run, LaunchFileName);
        // Owner-only from creation: it holds the instance token (as the environment variables of a cold launch do).
        using (var file = new FileStream(launchFile, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            file.Write(LaunchFile.Serialize(plan.Environment.Where(e => !IsImageWide(e.Key))));
        }

        var bundle = Path.Combine(run, "oci");
        UnixFiles.ChangeOwnerRecursively(run, (uint)uid, (uint)gid, [bundle, Path.Combine(run, "stdout.log"), Path.Combine(run, "stderr.log")]);
        CountHandOver();
        return uid;
    }

    /// <summary>
    /// Deletes what an environment killed without a shutdown left: every slot directory still under
    /// <see cref="WarmPool{TSlot, TTemplate}.SlotsRoot"/> is a warm container never handed over.
    /// </summary>
    public void CleanLeftovers(OciRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        RemoveLeftovers(id =>
        {
            if (id.StartsWith(IdPrefix, StringComparison.Ordinal) && !runtime.Delete(id))
            {
                OciLog.DeleteFailed(_logger, id);
                return false;
            }

            return true;
        });
    }

    /// <summary>The warm container whose process <paramref name="pid"/> is (from its cgroup), or null: how a handed-over container is found again after a restart.</summary>
    public static string? ContainerOf(int pid, OciOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var marker = OciBundle.CgroupsPath(options, IdPrefix);
        try
        {
            foreach (var line in File.ReadLines(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/cgroup")))
            {
                var at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var id = line[(at + marker.Length - IdPrefix.Length)..];
                    var end = id.IndexOf('/', StringComparison.Ordinal);
                    return end < 0 ? id : id[..end];
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No such process.
        }

        return null;
    }

    private static OciPlan Template(OciPlan plan, string runDirectory, string slotDirectory, (int Uid, int Gid)? user)
    {
        var environment = plan.Environment.Where(e => IsImageWide(e.Key)).ToDictionary(StringComparer.Ordinal);
        environment[LaunchVariables.LaunchFile] = $"{OciBundle.RunPath}/{LaunchFileName}";
        return plan with
        {
            Environment = environment,
            Mounts = [.. plan.Mounts.Select(m => m.Source == runDirectory ? m with { Source = slotDirectory } : m)],
            User = user,
        };
    }

    protected override async Task<WarmSlot> CreateAsync(string imageRoot, OciWarmTemplate template)
    {
        var runtime = _runtime ?? throw new InvalidOperationException("no OCI runtime");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("OCI containers run on Linux only.");
        }

        var id = IdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var directory = Path.Combine(SlotsRoot, id);
        var holder = "warm:" + id;
        var bundle = Path.Combine(directory, "oci");
        var pidFile = Path.Combine(bundle, "init.pid");
        var stderr = Path.Combine(directory, "stderr.log");
        try
        {
            var uid = Users.Acquire(holder);
            System.IO.Directory.CreateDirectory(SlotsRoot);
            File.SetUnixFileMode(SlotsRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "workspace"));
            System.IO.Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(bundle, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // As a run directory: the container's user owns it, the bundle (and, once opened, the logs) stay the environment's.
            UnixFiles.ChangeOwnerRecursively(directory, (uint)(uid ?? _options.User), (uint)(uid ?? _options.Group), [bundle]);
            var plan = Template(template.Plan, template.RunDirectory, directory, uid is { } u ? (u, u) : null);
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"),
                OciBundle.Config(plan, _options, OciBundle.CgroupsPath(_options, id), OciBundle.KernelLimitsSwap).ToJsonString()).ConfigureAwait(false);

            // As a cold launch runs runc: stdout/stderr appended to the slot's logs, inherited by the container.
            await using var create = await _processes.LaunchUncontainedAsync(
                new LaunchRequest(holder, runtime.Path!, runtime.CreateArguments(bundle, pidFile, id), bundle,
                    new Dictionary<string, string> { ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
                    Path.Combine(directory, "stdout.log"), stderr),
                CancellationToken.None).ConfigureAwait(false);
            var exit = await create.Exited.ConfigureAwait(false);
            if (exit.ExitCode != 0 || !int.TryParse(await File.ReadAllTextAsync(pidFile).ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || ProcFs.LiveStartTicks(pid) is not { } ticks)
            {
                throw new IOException($"{runtime.Path} create exited with code {exit.ExitCode}: {RunDirectoryTail(stderr)}");
            }

            return new WarmSlot(id, directory, holder, uid, pid, ticks, plan.MemoryLimitBytes);
        }
        catch
        {
            Remove([new WarmSlot(id, directory, holder, null, 0, 0, null)], reason: null);
            throw;
        }
    }

    private static string RunDirectoryTail(string path) => Instances.RunDirectory.ReadTail(path, 2000)?.Trim() is { Length: > 0 } text ? text : "no error given";

    protected override void End(WarmSlot slot)
    {
        if (_runtime is { } runtime && !runtime.Delete(slot.ContainerId))
        {
            OciLog.DeleteFailed(_logger, slot.ContainerId);
        }
    }

    protected override void LogCreateFailed(string imageRoot, string reason) => OciLog.WarmCreateFailed(_logger, imageRoot, reason);

    protected override void LogRemoved(int count, string reason) => OciLog.WarmRemoved(_logger, count, reason);
}

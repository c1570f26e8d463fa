using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Runner.Oci;

/// <summary>A created, not yet started container waiting for a run in its slot directory.</summary>
internal sealed record WarmSlot(string ContainerId, string Directory, string Holder, int? Uid, int Pid, long StartTicks, long? MemoryLimitBytes);

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
/// the next start after a crash (<see cref="CleanLeftovers"/>).
/// </summary>
internal sealed class OciWarmPool : IDisposable
{
    /// <summary>Warm container ids: never derived from an instance id (the run is unknown at create).</summary>
    public const string IdPrefix = "runtara-warm-";

    /// <summary>The launch file's name in the run directory (<see cref="OciBundle.RunPath"/> inside).</summary>
    public const string LaunchFileName = "launch.json";

    /// <summary>
    /// Launch variables every run of an image gets alike (with the pass-through, <c>OTEL_*</c> and <c>DOTNET_*</c>
    /// ones): a warm container is created with these. All others (the instance's ids and token, checkpoint,
    /// trace, the request's custom variables) are the run's, written to the launch file.
    /// </summary>
    private static readonly string[] ImageWideVariables =
    [
        "HOME", "TMPDIR", LaunchVariables.ServerAddress, LaunchVariables.ServerName, LaunchVariables.Transport, LaunchVariables.PinnedCertificate,
        LaunchVariables.CaCertificate, LaunchVariables.SkipCertificateVerification, LaunchVariables.InputPath, LaunchVariables.OutputPath,
        LaunchVariables.WorkspaceDirectory, LaunchVariables.HeartbeatIntervalMs, LaunchVariables.WaitGraceMs,
    ];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private readonly OciOptions _options;
    private readonly ProcessRunner _processes;
    private readonly InstanceUsers _users;
    private readonly ILogger _logger;
    private OciRuntime? _runtime;
    private bool _disposed;
    private long _handOvers;

    public OciWarmPool(IOptions<EnvironmentOptions> options, ProcessRunner processes, InstanceUsers users, ILogger<OciWarmPool> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Oci;
        _processes = processes;
        _users = users;
        _logger = logger;
        SlotsRoot = Path.Combine(options.Value.ResolveDataDirectory(), "runs", ".warm");
    }

    /// <summary>Where slots live: under <c>runs/</c>, so a rename to a run directory stays on one filesystem (".warm" is no tenant id).</summary>
    public string SlotsRoot { get; }

    /// <summary>Warm containers handed to runs since start (the benchmark reports how many launches were warm).</summary>
    public long HandOvers => Interlocked.Read(ref _handOvers);

    /// <summary>The ids of the image's warm containers ready now, oldest first (tests and diagnostics).</summary>
    public IReadOnlyList<string> Ready(string imageRoot)
    {
        lock (_gate)
        {
            return _pools.TryGetValue(imageRoot, out var pool) ? [.. pool.Ready.Select(s => s.ContainerId)] : [];
        }
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
        var key = KeyOf(plan, runDirectory, _options);
        List<WarmSlot> dropped = [];
        WarmSlot? slot = null;
        Pool pool;
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            _runtime = runtime;
            if (!_pools.TryGetValue(imageRoot, out pool!) || pool.Key != key)
            {
                if (pool is not null)
                {
                    pool.Dropped = true;
                    dropped.AddRange(pool.Ready);
                }

                pool = new Pool(imageRoot, key, plan, runDirectory);
                _pools[imageRoot] = pool;
            }

            pool.Size = size;
            while (pool.Ready.TryDequeue(out var ready))
            {
                // A container killed from outside while it waited cannot be started: drop it, try the next.
                if (ProcFs.LiveStartTicks(ready.Pid) == ready.StartTicks)
                {
                    slot = ready;
                    break;
                }

                dropped.Add(ready);
            }
        }

        if (dropped.Count > 0)
        {
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(() => Remove(runtime, dropped, "image changed shape or container gone"));
            }
        }

        return slot;
    }

    /// <summary>
    /// Refills the image's pool in the background, one container at a time, up to its size. Called after a
    /// launch's container has started, so creating the next one does not compete with that launch for the CPU.
    /// </summary>
    public void Refill(OciRuntime runtime, string imageRoot)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        Pool? pool;
        lock (_gate)
        {
            if (!_pools.TryGetValue(imageRoot, out pool) || pool.Filling || pool.Ready.Count >= pool.Size)
            {
                return;
            }
        }

        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => FillAsync(runtime, pool));
        }
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
        foreach (var entry in new DirectoryInfo(run).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(slot.Directory, entry.Name);
            if (System.IO.Directory.Exists(target) && !System.IO.Directory.EnumerateFileSystemEntries(target).Any())
            {
                // The slot's empty workspace gives way to the run's.
                System.IO.Directory.Delete(target);
            }

            if (Path.Exists(target))
            {
                throw new IOException($"the run directory and the warm slot both hold '{entry.Name}'");
            }

            if (entry is DirectoryInfo folder)
            {
                folder.MoveTo(target);
            }
            else
            {
                File.Move(entry.FullName, target);
            }
        }

        // Same filesystem, so a rename: the container's bind mount and its log descriptors follow the inode.
        System.IO.Directory.Delete(run);
        System.IO.Directory.Move(slot.Directory, run);

        var uid = _users.HandOver(slot.Holder, request.InstanceId) ?? _options.User;
        var gid = slot.Uid is null ? _options.Group : uid;
        var launchFile = Path.Combine(run, LaunchFileName);
        // Owner-only from creation: it holds the instance token (as the environment variables of a cold launch do).
        using (var file = new FileStream(launchFile, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            file.Write(LaunchFile.Serialize(plan.Environment.Where(e => !IsImageWide(e.Key))));
        }

        var bundle = Path.Combine(run, "oci");
        UnixFiles.ChangeOwnerRecursively(run, (uint)uid, (uint)gid, [bundle, Path.Combine(run, "stdout.log"), Path.Combine(run, "stderr.log")]);
        Interlocked.Increment(ref _handOvers);
        return uid;
    }

    /// <summary>Deletes a taken slot whose hand-off failed (its uid goes back; a slot already renamed to the run's directory stays there).</summary>
    public void Discard(OciRuntime runtime, WarmSlot slot) => Remove(runtime, [slot], reason: null);

    /// <summary>Drops the warm containers of an image that is being deleted.</summary>
    public void DropImage(string imageRoot)
    {
        List<WarmSlot> dropped = [];
        OciRuntime? runtime;
        lock (_gate)
        {
            runtime = _runtime;
            if (_pools.Remove(imageRoot, out var pool))
            {
                pool.Dropped = true;
                dropped.AddRange(pool.Ready);
                pool.Ready.Clear();
            }
        }

        if (runtime is not null)
        {
            Remove(runtime, dropped, "image deleted");
        }
    }

    /// <summary>
    /// Deletes what an environment killed without a shutdown left: every slot directory still under
    /// <see cref="SlotsRoot"/> is a warm container never handed over (a handed-over one was renamed away).
    /// </summary>
    public void CleanLeftovers(OciRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (!System.IO.Directory.Exists(SlotsRoot))
        {
            return;
        }

        var removed = 0;
        foreach (var slot in System.IO.Directory.EnumerateDirectories(SlotsRoot))
        {
            var id = Path.GetFileName(slot);
            if (id.StartsWith(IdPrefix, StringComparison.Ordinal) && !runtime.Delete(id))
            {
                OciLog.DeleteFailed(_logger, id);
                continue;
            }

            try
            {
                System.IO.Directory.Delete(slot, recursive: true);
                removed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Never in the way of the runner's start: its container is gone and slot names are never
                // reused, so what is left only takes space until the next start tries again.
            }
        }

        if (removed > 0)
        {
            OciLog.WarmRemoved(_logger, removed, "left by an earlier run of the environment");
        }
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

    public void Dispose()
    {
        List<WarmSlot> dropped = [];
        OciRuntime? runtime;
        lock (_gate)
        {
            _disposed = true;
            runtime = _runtime;
            foreach (var pool in _pools.Values)
            {
                pool.Dropped = true;
                dropped.AddRange(pool.Ready);
                pool.Ready.Clear();
            }

            _pools.Clear();
        }

        if (runtime is not null)
        {
            Remove(runtime, dropped, "environment stopping");
        }
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

    private static bool IsImageWide(string name) =>
        ImageWideVariables.Contains(name) || Instances.LaunchEnvironment.PassThroughVariables.Contains(name)
        || name.StartsWith("OTEL_", StringComparison.Ordinal) || name.StartsWith("DOTNET_", StringComparison.Ordinal);

    private async Task FillAsync(OciRuntime runtime, Pool pool)
    {
        lock (_gate)
        {
            if (pool.Filling)
            {
                return;
            }

            pool.Filling = true;
        }

        try
        {
            while (true)
            {
                lock (_gate)
                {
                    if (pool.Dropped || _disposed || pool.Ready.Count >= pool.Size)
                    {
                        return;
                    }
                }

                WarmSlot slot;
                try
                {
                    slot = await CreateAsync(runtime, pool).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LaunchFailedException)
                {
                    // No retry loop: the next launch of the image tries again.
                    OciLog.WarmCreateFailed(_logger, pool.ImageRoot, ex.Message);
                    return;
                }

                bool keep;
                lock (_gate)
                {
                    keep = !pool.Dropped && !_disposed && pool.Ready.Count < pool.Size;
                    if (keep)
                    {
                        pool.Ready.Enqueue(slot);
                    }
                }

                if (!keep)
                {
                    Remove(runtime, [slot], "no longer wanted");
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                pool.Filling = false;
            }
        }
    }

    private async Task<WarmSlot> CreateAsync(OciRuntime runtime, Pool pool)
    {
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
            var uid = _users.Acquire(holder);
            System.IO.Directory.CreateDirectory(SlotsRoot);
            File.SetUnixFileMode(SlotsRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "workspace"));
            System.IO.Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(bundle, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // As a run directory: the container's user owns it, the bundle (and, once opened, the logs) stay the environment's.
            UnixFiles.ChangeOwnerRecursively(directory, (uint)(uid ?? _options.User), (uint)(uid ?? _options.Group), [bundle]);
            var plan = Template(pool.Plan, pool.RunDirectory, directory, uid is { } u ? (u, u) : null);
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
            Remove(runtime, [new WarmSlot(id, directory, holder, null, 0, 0, null)], reason: null);
            throw;
        }
    }

    private static string RunDirectoryTail(string path) => Instances.RunDirectory.ReadTail(path, 2000)?.Trim() is { Length: > 0 } text ? text : "no error given";

    /// <summary>Deletes containers never handed over, their slots and their uids.</summary>
    private void Remove(OciRuntime runtime, IReadOnlyCollection<WarmSlot> slots, string? reason)
    {
        foreach (var slot in slots)
        {
            if (!runtime.Delete(slot.ContainerId))
            {
                OciLog.DeleteFailed(_logger, slot.ContainerId);
            }

            _users.Release(slot.Holder, slot.Directory);
            try
            {
                if (System.IO.Directory.Exists(slot.Directory))
                {
                    System.IO.Directory.Delete(slot.Directory, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Cleaned at the next start (CleanLeftovers).
            }
        }

        if (reason is not null && slots.Count > 0)
        {
            OciLog.WarmRemoved(_logger, slots.Count, reason);
        }
    }

    /// <summary>One image's warm containers, all of one shape.</summary>
    private sealed class Pool(string imageRoot, string key, OciPlan plan, string runDirectory)
    {
        public string ImageRoot { get; } = imageRoot;

        public string Key { get; } = key;

        /// <summary>The plan of the launch that made this pool, with <see cref="RunDirectory"/> its run's directory: the template of its slots.</summary>
        public OciPlan Plan { get; } = plan;

        public string RunDirectory { get; } = runDirectory;

        public Queue<WarmSlot> Ready { get; } = new();

        public int Size { get; set; }

        public bool Filling { get; set; }

        public bool Dropped { get; set; }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using Runtara.Environment.Hosting;
using Runtara.Environment.Runner.Oci;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Runner.Warm;

/// <summary>A started instance process waiting in its slot for a run to be written to its launch FIFO.</summary>
internal sealed record WarmProcessSlot(string Id, string Directory, string Holder, int? Uid, ProcessRunner.StartedProcess Process, string LaunchFile, string PidFile) : IWarmSlot
{
    public int Pid => Process.Process.Id;

    public long StartTicks => Process.StartTicks;
}

/// <summary>What an image's warm processes are started from: the launch that made its pool, and that launch's shape.</summary>
internal sealed record WarmProcessTemplate(LaunchRequest Request, ProcessRunner.ProcessShape Shape);

/// <summary>
/// Warm processes of the process runner (docs/environment.md, "Warm processes"): per image, up to
/// <see cref="EnvironmentOptions.WarmProcesses"/> (or the image's <c>"warm"</c>) instance processes started
/// ahead with only the image-wide variables and <c>RUNTARA_LAUNCH_FILE</c> naming a FIFO
/// (<c>&lt;data&gt;/runs/.warm-processes/&lt;id&gt;.launch</c>, outside the slot that gets renamed). The process
/// pays the runtime's start, assembly loading and JIT, then blocks in its open() of the FIFO. A run's first
/// launch is handed one: the run's prepared files move into the slot, the slot is renamed to the run's
/// directory (the process's working directory and log descriptors follow), its uid and cgroup become the
/// run's, and the run's variables are written into the FIFO. Contained as a cold launch: same user mode,
/// cgroup limits and network (a launch of another shape goes cold and re-makes the pool), umask 077.
/// </summary>
internal sealed class WarmProcesses : WarmPool<WarmProcessSlot, WarmProcessTemplate>
{
    /// <summary>Slot ids (and the names of their cgroups): an instance's cgroup is named <c>runtara-…</c>, never this.</summary>
    public const string IdPrefix = "warm-";

    /// <summary>
    /// How long a hand-off waits for a warm process to reach its open() of the FIFO (one taken right after it
    /// was started is still loading): after that, or once it is gone, it is discarded and the next one tried.
    /// </summary>
    private static readonly TimeSpan ReaderWait = TimeSpan.FromSeconds(5);

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly int _default;
    private readonly ProcessRunner _processes;
    private readonly ILogger _logger;

    public WarmProcesses(IOptions<EnvironmentOptions> options, ProcessRunner processes, InstanceUsers users, ILogger<WarmProcesses> logger)
        : base(users, Path.Combine((options ?? throw new ArgumentNullException(nameof(options))).Value.ResolveDataDirectory(), "runs", ".warm-processes"))
    {
        _default = options.Value.WarmProcesses;
        _processes = processes;
        _logger = logger;
        // Before any launch: warm processes a killed environment left are not anyone's.
        CleanLeftovers();
    }

    /// <summary>How many warm processes the image wants: its metadata's <c>"warm"</c>, else the configured default.</summary>
    public int SizeFor(OciImageSettings image) => image.Warm ?? _default;

    /// <summary>
    /// The launch's shape without its run: entrypoint, arguments, image-wide variables (the run directory's path
    /// left out), user mode, network and cgroup limits. Runs with equal keys can share warm processes.
    /// </summary>
    public static string KeyOf(LaunchRequest request, ProcessRunner.ProcessShape shape)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(shape);
        return JsonSerializer.Serialize(new Dictionary<string, string>(WarmVariables(request, "\0run"), StringComparer.Ordinal)
        {
            ["\0file"] = request.FileName,
            ["\0arguments"] = string.Join('\0', request.Arguments),
            ["\0user"] = request.UserId is null ? "environment" : "own",
            ["\0shape"] = shape.ToString(),
        }.OrderBy(e => e.Key, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Launches <paramref name="request"/> through the process runner: a run's first launch of an image with warm
    /// processes is handed one when one of its shape is ready, any other launch starts cold. Either way the image's
    /// pool then refills.
    /// </summary>
    public async Task<IRunningInstance> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var image = ProcessRunner.ParseSettings(request);
        var shape = _processes.ShapeOf(image);
        var size = SizeFor(image);
        // Only a fresh run directory: a wake, resume or retry has files (its logs) the slot cannot take over.
        var warmImage = OperatingSystem.IsLinux() && request.FirstLaunch && size > 0 && !File.Exists(request.StdoutPath) ? request.ImageRoot : null;
        if (warmImage is null)
        {
            return _processes.Launch(request, shape);
        }

        var key = KeyOf(request, shape);
        while (TryTake(warmImage, size, key, new WarmProcessTemplate(request, shape)) is { } slot)
        {
            if (await HandOverAsync(slot, request, cancellationToken).ConfigureAwait(false) is { } handed)
            {
                Refill(warmImage);
                return handed;
            }
        }

        var cold = _processes.Launch(request, shape);
        // The image's first launch (or its pool was empty): make its warm processes now that this one runs.
        Refill(warmImage);
        return cold;
    }

    protected override Task<WarmProcessSlot> CreateAsync(string imageRoot, WarmProcessTemplate template)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Warm processes run on Linux only.");
        }

        var id = IdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var directory = Path.Combine(SlotsRoot, id);
        var holder = "warm:" + id;
        var launchFile = directory + ".launch";
        var pidFile = directory + ".pid";
        ProcessRunner.StartedProcess? started = null;
        try
        {
            var uid = Users.Acquire(holder);
            // Passable (not listable) by the slot's user: it reaches its directory and its FIFO by their paths.
            System.IO.Directory.CreateDirectory(SlotsRoot);
            File.SetUnixFileMode(SlotsRoot, Instances.RunDirectory.PassOnly);
            // A run directory's layout, owned by the process's user; the logs are opened by the launch shell (as the environment).
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "workspace"));
            File.SetUnixFileMode(directory, OwnerOnly);
            File.SetUnixFileMode(System.IO.Directory.CreateDirectory(Path.Combine(directory, "tmp")).FullName, OwnerOnly);
            if (NativeMethods.MkFifo(launchFile, 0b110_000_000) != 0)
            {
                throw new IOException($"mkfifo {launchFile} failed (errno {Marshal.GetLastPInvokeError()})");
            }

            if (uid is { } owner)
            {
                UnixFiles.ChangeOwnerRecursively(directory, (uint)owner, (uint)owner);
                UnixFiles.ChangeOwner(launchFile, (uint)owner, (uint)owner);
            }

            var request = template.Request;
            var environment = WarmVariables(request, directory);
            environment[LaunchVariables.LaunchFile] = launchFile;
            started = _processes.Start(
                new LaunchRequest(id, request.FileName, request.Arguments, directory, environment, Path.Combine(directory, "stdout.log"), Path.Combine(directory, "stderr.log"), uid),
                template.Shape,
                _processes.WarmCgroupOf(id));
            // Outside the slot (which is renamed away on hand-off): how a start after a crash finds the process to kill, never a reused pid.
            File.WriteAllText(pidFile, string.Create(CultureInfo.InvariantCulture, $"{started.Process.Id} {started.StartTicks}"));
            Log.WarmProcessCreated(_logger, id, started.Process.Id, imageRoot);
            return Task.FromResult(new WarmProcessSlot(id, directory, holder, uid, started, launchFile, pidFile));
        }
        catch
        {
            if (started is not null)
            {
                ProcessRunner.End(started.Process.Id, started.StartTicks, started.Cgroup?.Path);
                started.Process.Dispose();
            }

            Users.Release(holder, directory);
            DeleteFiles(directory, launchFile, pidFile);
            throw;
        }
    }

    /// <summary>Waits until the new process has done starting (its CPU time stops growing), so the next one does not compete with it.</summary>
    protected override async Task SettleAsync(WarmProcessSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        long? last = null;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < ReaderWait && ProcFs.LiveStartTicks(slot.Pid) == slot.StartTicks)
        {
            var cpu = ProcFs.CpuUsageUsec(slot.Pid);
            if (cpu is > 0 && cpu == last)
            {
                return;
            }

            last = cpu;
            await Task.Delay(25).ConfigureAwait(false);
        }
    }

    protected override void End(WarmProcessSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ProcessRunner.End(slot.Pid, slot.StartTicks, slot.Process.Cgroup?.Path);
        slot.Process.Process.Dispose();
        DeleteFiles(null, slot.LaunchFile, slot.PidFile);
    }

    protected override void LogCreateFailed(string imageRoot, string reason) => Log.WarmProcessCreateFailed(_logger, imageRoot, reason);

    protected override void LogRemoved(int count, string reason) => Log.WarmProcessesRemoved(_logger, count, reason);

    /// <summary>
    /// The variables a warm process starts with: the image-wide ones, with the run directory's path in them (e.g.
    /// <c>TMPDIR</c>) pointing into <paramref name="directory"/> instead; the launch file gives the run's.
    /// </summary>
    private static Dictionary<string, string> WarmVariables(LaunchRequest request, string directory) =>
        request.Environment.Where(e => IsImageWide(e.Key))
            .ToDictionary(e => e.Key, e => e.Value.Replace(request.WorkingDirectory, directory, StringComparison.Ordinal), StringComparer.Ordinal);

    /// <summary>The run's variables: all that are not image-wide, and the image-wide ones with its directory's path in them.</summary>
    private static IEnumerable<KeyValuePair<string, string>> RunVariables(LaunchRequest request) =>
        request.Environment.Where(e => !IsImageWide(e.Key) || e.Value.Contains(request.WorkingDirectory, StringComparison.Ordinal));

    /// <summary>
    /// Hands <paramref name="slot"/> to the run (the caller holds the instance's lock, its directory is prepared);
    /// null when the process is gone or never got to its FIFO (it is discarded; the caller tries the next).
    /// </summary>
    private async Task<IRunningInstance?> HandOverAsync(WarmProcessSlot slot, LaunchRequest request, CancellationToken cancellationToken)
    {
        SafeFileHandle? fifo;
        try
        {
            fifo = await OpenForWritingAsync(slot, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Discard(slot);
            throw;
        }

        if (fifo is null)
        {
            Log.WarmProcessDiscarded(_logger, slot.Id, slot.Pid, request.InstanceId, "it ended, or did not open its launch file in time");
            Discard(slot);
            return null;
        }

        using (fifo)
        {
            try
            {
                MoveRunInto(slot.Directory, request.WorkingDirectory);
                var run = request.WorkingDirectory;
                if (Users.HandOver(slot.Holder, request.InstanceId) is { } uid)
                {
                    // The run's prepared files were its own uid's; the process's uid is the slot's, now the run's. The logs stay the environment's.
                    UnixFiles.ChangeOwnerRecursively(run, (uint)uid, (uint)uid, [request.StdoutPath, request.StderrPath]);
                }

                var running = _processes.TakeOver(slot.Process, request.InstanceId);
                using (var writer = new FileStream(fifo, FileAccess.Write, bufferSize: 0))
                {
                    writer.Write(LaunchFile.Serialize(RunVariables(request)));
                }

                DeleteFiles(null, slot.LaunchFile, slot.PidFile);
                CountHandOver();
                Log.WarmProcessHandedOver(_logger, request.InstanceId, slot.Id, slot.Pid);
                return running;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The run directory may be half moved: no cold fallback, the launch fails as any launch failure does.
                Discard(slot);
                throw new LaunchFailedException(request.InstanceId, $"warm process {slot.Id} could not be handed over: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// Opens the slot's FIFO for writing once its process has it open for reading (a non-blocking open fails
    /// with ENXIO until then, so a dead process cannot hang the launch); null when it is gone or took too long.
    /// </summary>
    private static async Task<SafeFileHandle?> OpenForWritingAsync(WarmProcessSlot slot, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            // CLOEXEC: a process launched meanwhile must not hold the write end (its reader would never see the end).
            var fd = NativeMethods.Open(slot.LaunchFile, NativeMethods.O_WRONLY | NativeMethods.O_NONBLOCK | NativeMethods.O_CLOEXEC);
            if (fd >= 0)
            {
                var handle = new SafeFileHandle(fd, ownsHandle: true);
                // Blocking again, so a launch file larger than the pipe's buffer is written whole as it is read.
                var flags = NativeMethods.Fcntl(fd, NativeMethods.F_GETFL, 0);
                if (flags < 0 || NativeMethods.Fcntl(fd, NativeMethods.F_SETFL, flags & ~NativeMethods.O_NONBLOCK) < 0)
                {
                    handle.Dispose();
                    return null;
                }

                return handle;
            }

            if (Marshal.GetLastPInvokeError() != NativeMethods.ENXIO || ProcFs.LiveStartTicks(slot.Pid) != slot.StartTicks || waited.Elapsed > ReaderWait)
            {
                return null;
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends what an environment killed without a shutdown left under <see cref="WarmPool{TSlot, TTemplate}.SlotsRoot"/>:
    /// each process recorded in a pid file (only while it still has the recorded start time), its cgroup, slot and FIFO.
    /// </summary>
    private void CleanLeftovers()
    {
        if (!System.IO.Directory.Exists(SlotsRoot))
        {
            return;
        }

        foreach (var pidFile in System.IO.Directory.EnumerateFiles(SlotsRoot, IdPrefix + "*.pid"))
        {
            var recorded = File.ReadAllText(pidFile).Split(' ');
            if (recorded.Length == 2 && int.TryParse(recorded[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && long.TryParse(recorded[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
            {
                ProcessRunner.End(pid, ticks, null);
            }

            DeleteFiles(null, pidFile);
        }

        RemoveLeftovers(id =>
        {
            ProcessRunner.End(0, 0, _processes.WarmCgroupOf(id));
            return true;
        });
        foreach (var fifo in System.IO.Directory.EnumerateFiles(SlotsRoot, IdPrefix + "*.launch"))
        {
            DeleteFiles(null, fifo);
        }
    }

    private static void DeleteFiles(string? directory, params string[] files)
    {
        try
        {
            if (directory is not null && System.IO.Directory.Exists(directory))
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }

            foreach (var file in files)
            {
                File.Delete(file);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed at the next start (CleanLeftovers).
        }
    }
}

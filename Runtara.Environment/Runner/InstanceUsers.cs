using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;

namespace Runtara.Environment.Runner;

/// <summary>
/// The OS users instance processes run as (docs/security.md): each live instance gets a uid of its own
/// from <see cref="EnvironmentOptions.InstanceUidFirst"/>.. (gid = uid, no supplementary groups), so it
/// cannot read the environment's data directory nor another run's files. While the process lives its
/// run directory belongs to that uid (mode 0700); when it ends the directory goes back to the
/// environment, what is left running under the uid is killed, and the uid is free again.
/// </summary>
internal sealed class InstanceUsers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _byInstance = new(StringComparer.Ordinal);
    private readonly HashSet<int> _inUse = [];
    private readonly int _first;
    private readonly int _count;
    private readonly ILogger _logger;

    public InstanceUsers(IOptions<EnvironmentOptions> options, ILogger<InstanceUsers> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _first = settings.InstanceUidFirst;
        _count = settings.InstanceUidCount;
        _logger = logger;
        var onLinux = OperatingSystem.IsLinux();
        var decision = Decide(settings.InstanceUsers, onLinux, onLinux ? NativeMethods.GetEffectiveUserId() : uint.MaxValue, File.Exists(settings.SetprivPath), settings.SetprivPath);
        if (settings.InstanceUsers == InstanceUserMode.PerRun && !decision.Enabled)
        {
            throw new InvalidOperationException($"{EnvironmentOptions.SectionName}:InstanceUsers is PerRun, but {decision.Reason}.");
        }

        Enabled = decision.Enabled;
        SetprivPath = settings.SetprivPath;
        if (Enabled)
        {
            OwnerUid = NativeMethods.GetEffectiveUserId();
            OwnerGid = NativeMethods.GetEffectiveGroupId();
            Log.InstanceUsersEnabled(logger, _first, (long)_first + _count - 1, SetprivPath);
        }
        else if (decision.Reason is not null)
        {
            Log.InstanceUsersDisabled(logger, decision.Reason);
        }
    }

    /// <summary>True when instances run as users of their own.</summary>
    public bool Enabled { get; }

    /// <summary>The setpriv used to switch users.</summary>
    public string SetprivPath { get; }

    /// <summary>The environment's own uid (owner of run directories between launches).</summary>
    public uint OwnerUid { get; }

    /// <summary>The environment's own gid.</summary>
    public uint OwnerGid { get; }

    /// <summary>
    /// Whether instances get users of their own, and why not (a warning for the log; null when there is
    /// nothing to warn about). Pure, so every case is testable without being root.
    /// </summary>
    public static (bool Enabled, string? Reason) Decide(InstanceUserMode mode, bool onLinux, uint effectiveUid, bool setprivExists, string setprivPath) =>
        mode switch
        {
            InstanceUserMode.Off => (false, "switched off (Runtara:Environment:InstanceUsers = Off)"),
            _ when !onLinux => (false, "users per run are only supported on Linux"),
            _ when effectiveUid != 0 => (false, $"the environment does not run as root (uid {effectiveUid}), so it cannot start processes as other users"),
            _ when !setprivExists => (false, $"setpriv (util-linux) was not found at {setprivPath} (Runtara:Environment:SetprivPath)"),
            _ => (true, null),
        };

    /// <summary>
    /// The uid for a launch of <paramref name="instanceId"/> (its current one, if it has one); null when
    /// instances run as the environment. A warm container's or process's slot holds one under a key no instance id can
    /// take (it has a ':'), until <see cref="HandOver"/> or <see cref="Release"/>.
    /// </summary>
    public int? Acquire(string instanceId)
    {
        if (!Enabled)
        {
            return null;
        }

        lock (_gate)
        {
            if (_byInstance.TryGetValue(instanceId, out var held))
            {
                return held;
            }

            // Start from a stable hash of the id: every launch of an instance (retries, wakes, after a restart)
            // gets the same uid unless another live run holds it, so files it left outside its run directory stay its own.
            var start = (int)(Fnv1a(instanceId) % (uint)_count);
            for (var i = 0; i < _count; i++)
            {
                var uid = _first + ((start + i) % _count);
                if (_inUse.Add(uid))
                {
                    _byInstance[instanceId] = uid;
                    return uid;
                }
            }
        }

        throw new LaunchFailedException(instanceId, $"all {_count} instance uids (Runtara:Environment:InstanceUidFirst/InstanceUidCount) are in use");
    }

    /// <summary>
    /// Gives the uid held under <paramref name="holder"/> (a warm container's or warm process's slot, see Runner/Warm/WarmPool.cs)
    /// to <paramref name="instanceId"/>, whose own uid (acquired for this launch, nothing ran under it yet)
    /// is freed; returns the instance's uid, null when instances run as the environment.
    /// </summary>
    public int? HandOver(string holder, string instanceId)
    {
        if (!Enabled)
        {
            return null;
        }

        lock (_gate)
        {
            if (!_byInstance.Remove(holder, out var uid))
            {
                throw new InvalidOperationException($"'{holder}' holds no instance uid.");
            }

            if (_byInstance.Remove(instanceId, out var previous) && previous != uid)
            {
                _inUse.Remove(previous);
            }

            _byInstance[instanceId] = uid;
            return uid;
        }
    }

    /// <summary>Records the uid of a re-adopted process, so it is not handed out while that process lives.</summary>
    public void Adopt(string instanceId, int pid)
    {
        if (Enabled && ProcFs.RealUserId(pid) is { } uid && InRange(uid))
        {
            lock (_gate)
            {
                _inUse.Add(uid);
                _byInstance[instanceId] = uid;
            }
        }
    }

    /// <summary>
    /// The instance's process has ended: kills whatever it left running under its uid, gives its run
    /// directory back to the environment and frees the uid.
    /// </summary>
    public void Release(string instanceId, string runDirectory)
    {
        int uid;
        lock (_gate)
        {
            if (!_byInstance.Remove(instanceId, out uid))
            {
                return;
            }
        }

        KillLeftovers(uid);
        Reclaim(runDirectory);
        lock (_gate)
        {
            _inUse.Remove(uid);
        }
    }

    /// <summary>
    /// Gives <paramref name="runDirectory"/> back to the environment (owner only, 0700) so no instance user
    /// can reach into it, killing what still runs under its previous owner when that uid is one of ours
    /// and not live (a run settled after an environment restart). Idempotent.
    /// </summary>
    public void Reclaim(string runDirectory)
    {
        if (!Enabled || OperatingSystem.IsWindows() || UnixFiles.Stat(runDirectory) is not { } stat)
        {
            return;
        }

        if (stat.Uid != OwnerUid)
        {
            var previous = (int)stat.Uid;
            bool live;
            lock (_gate)
            {
                live = _inUse.Contains(previous);
            }

            if (InRange(previous) && !live)
            {
                KillLeftovers(previous);
            }

            UnixFiles.ChangeOwner(runDirectory, OwnerUid, OwnerGid);
        }

        File.SetUnixFileMode(runDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    private bool InRange(int uid) => uid >= _first && uid - _first < _count;

    private void KillLeftovers(int uid)
    {
        // Stray children of the instance must not outlive its run: the uid goes to another run next.
        var killed = 0;
        foreach (var pid in ProcFs.ProcessesOfUser(uid))
        {
            if (NativeMethods.Kill(pid, NativeMethods.SIGKILL) == 0)
            {
                killed++;
            }
        }

        if (killed > 0)
        {
            Log.InstanceLeftoversKilled(_logger, killed, uid);
        }
    }
}

using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Runner.Warm;

/// <summary>What a pool keeps of one pre-started instance: its slot directory, the holder of its uid, its process.</summary>
internal interface IWarmSlot
{
    /// <summary>The slot's id, also its directory's name (never derived from an instance id: the run is unknown when it starts).</summary>
    string Id { get; }

    string Directory { get; }

    /// <summary>The key its uid is held under in <see cref="InstanceUsers"/> until it is handed to a run.</summary>
    string Holder { get; }

    int Pid { get; }

    long StartTicks { get; }
}

/// <summary>
/// What warm containers (Runner/Oci/OciWarmPool) and warm processes (<see cref="WarmProcesses"/>) share
/// (docs/environment.md, "Warm containers", "Warm processes"): per image a pool of pre-started slots, all of
/// one shape (a key of what every run of that shape starts with alike); a launch of another shape re-makes
/// the pool. Taking a slot skips those whose process is gone; the pool refills in the background, one slot
/// at a time, up to its size, and a failure is logged and not retried until the image's next launch. Slots
/// never handed over are removed on image deletion, at shutdown and, after a crash, at the next start. A
/// hand-off moves the run's prepared files into the slot and renames the slot to the run's directory.
/// </summary>
/// <typeparam name="TSlot">One warm instance.</typeparam>
/// <typeparam name="TTemplate">What the pool's slots are made from (the launch that made the pool).</typeparam>
internal abstract class WarmPool<TSlot, TTemplate> : IDisposable
    where TSlot : class, IWarmSlot
{
    /// <summary>
    /// Launch variables every run of an image gets alike (with the pass-through, <c>OTEL_*</c> and <c>DOTNET_*</c>
    /// ones): a warm instance is started with these. All others (the instance's ids and token, checkpoint,
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
    private bool _disposed;
    private long _handOvers;

    protected WarmPool(InstanceUsers users, string slotsRoot)
    {
        Users = users;
        SlotsRoot = slotsRoot;
    }

    /// <summary>Where slots live: under <c>runs/</c>, so a rename to a run directory stays on one filesystem (a name starting with '.' is no tenant id).</summary>
    public string SlotsRoot { get; }

    /// <summary>Warm instances handed to runs since start (the benchmark reports how many launches were warm).</summary>
    public long HandOvers => Interlocked.Read(ref _handOvers);

    protected InstanceUsers Users { get; }

    /// <summary>The ids of the image's warm instances ready now, oldest first (tests and diagnostics).</summary>
    public IReadOnlyList<string> Ready(string imageRoot)
    {
        lock (_gate)
        {
            return _pools.TryGetValue(imageRoot, out var pool) ? [.. pool.Ready.Select(s => s.Id)] : [];
        }
    }

    /// <summary>
    /// Refills the image's pool in the background, one instance at a time, up to its size. Called after a
    /// launch's process has started, so starting the next one does not compete with that launch for the CPU.
    /// </summary>
    public void Refill(string imageRoot)
    {
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
            _ = Task.Run(() => FillAsync(pool));
        }
    }

    /// <summary>Removes a taken slot whose hand-off failed (its uid goes back; a slot already renamed to the run's directory stays there).</summary>
    public void Discard(TSlot slot) => Remove([slot], reason: null);

    /// <summary>Drops the warm instances of an image that is being deleted.</summary>
    public void DropImage(string imageRoot)
    {
        List<TSlot> dropped = [];
        lock (_gate)
        {
            if (_pools.Remove(imageRoot, out var pool))
            {
                pool.Dropped = true;
                dropped.AddRange(pool.Ready);
                pool.Ready.Clear();
            }
        }

        Remove(dropped, "image deleted");
    }

    public void Dispose()
    {
        List<TSlot> dropped = [];
        lock (_gate)
        {
            _disposed = true;
            foreach (var pool in _pools.Values)
            {
                pool.Dropped = true;
                dropped.AddRange(pool.Ready);
                pool.Ready.Clear();
            }

            _pools.Clear();
        }

        Remove(dropped, "environment stopping");
    }

    /// <summary>A launch variable every run of the image gets alike, so a warm instance may start with it.</summary>
    protected static bool IsImageWide(string name) =>
        ImageWideVariables.Contains(name) || Instances.LaunchEnvironment.PassThroughVariables.Contains(name)
        || name.StartsWith("OTEL_", StringComparison.Ordinal) || name.StartsWith("DOTNET_", StringComparison.Ordinal);

    /// <summary>
    /// Takes a ready slot for a run of shape <paramref name="key"/>, or null (the caller launches cold); either
    /// way the image's pool is (re)made for this shape from <paramref name="template"/>. The caller calls
    /// <see cref="Refill"/> once its process has started.
    /// </summary>
    protected TSlot? TryTake(string imageRoot, int size, string key, TTemplate template)
    {
        List<TSlot> dropped = [];
        TSlot? slot = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            if (!_pools.TryGetValue(imageRoot, out var pool) || pool.Key != key)
            {
                if (pool is not null)
                {
                    pool.Dropped = true;
                    dropped.AddRange(pool.Ready);
                }

                pool = new Pool(imageRoot, key, template);
                _pools[imageRoot] = pool;
            }

            pool.Size = size;
            while (pool.Ready.TryDequeue(out var ready))
            {
                // Killed from outside while it waited: drop it, try the next.
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
                _ = Task.Run(() => Remove(dropped, "image changed shape or its process was gone"));
            }
        }

        return slot;
    }

    /// <summary>Counts a slot handed to a run.</summary>
    protected void CountHandOver() => Interlocked.Increment(ref _handOvers);

    /// <summary>
    /// Moves what the supervisor prepared in <paramref name="runDirectory"/> (not yet used by any process) into
    /// <paramref name="slotDirectory"/>, then renames the slot to the run's directory: the warm process's working
    /// directory, bind mounts and open log descriptors follow the inode (same filesystem, so a rename).
    /// </summary>
    protected static void MoveRunInto(string slotDirectory, string runDirectory)
    {
        foreach (var entry in new DirectoryInfo(runDirectory).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(slotDirectory, entry.Name);
            if (entry is DirectoryInfo empty && System.IO.Directory.Exists(target) && !empty.EnumerateFileSystemInfos().Any())
            {
                // An empty folder of the run's gives way to the slot's (its tmp/ may hold what the runtime made at start).
                empty.Delete();
                continue;
            }

            if (System.IO.Directory.Exists(target) && !System.IO.Directory.EnumerateFileSystemEntries(target).Any())
            {
                // The slot's empty folder gives way to the run's.
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

        System.IO.Directory.Delete(runDirectory);
        System.IO.Directory.Move(slotDirectory, runDirectory);
    }

    /// <summary>
    /// Removes what an environment killed without a shutdown left: every slot directory still under
    /// <see cref="SlotsRoot"/> was never handed over (a handed-over one was renamed away). <paramref name="end"/>
    /// ends its process (by the slot's id) and says whether the directory may go.
    /// </summary>
    protected void RemoveLeftovers(Func<string, bool> end)
    {
        ArgumentNullException.ThrowIfNull(end);
        if (!System.IO.Directory.Exists(SlotsRoot))
        {
            return;
        }

        var removed = 0;
        foreach (var slot in System.IO.Directory.EnumerateDirectories(SlotsRoot))
        {
            if (!end(Path.GetFileName(slot)))
            {
                continue;
            }

            try
            {
                System.IO.Directory.Delete(slot, recursive: true);
                removed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Never in the way of the runner's start: its process is gone and slot names are never
                // reused, so what is left only takes space until the next start tries again.
            }
        }

        if (removed > 0)
        {
            LogRemoved(removed, "left by an earlier run of the environment");
        }
    }

    /// <summary>Starts one warm instance of <paramref name="template"/>'s shape; throws <see cref="IOException"/> or <see cref="LaunchFailedException"/> when it cannot.</summary>
    protected abstract Task<TSlot> CreateAsync(string imageRoot, TTemplate template);

    /// <summary>Ends a slot's process (never handed over) and what it has besides its directory.</summary>
    protected abstract void End(TSlot slot);

    /// <summary>After a slot joined its pool, before the next is started (e.g. until it has done starting).</summary>
    protected virtual Task SettleAsync(TSlot slot) => Task.CompletedTask;

    protected abstract void LogCreateFailed(string imageRoot, string reason);

    protected abstract void LogRemoved(int count, string reason);

    /// <summary>Ends slots never handed over, deletes their directories and frees their uids.</summary>
    protected void Remove(IReadOnlyCollection<TSlot> slots, string? reason)
    {
        foreach (var slot in slots)
        {
            End(slot);
            Users.Release(slot.Holder, slot.Directory);
            try
            {
                if (System.IO.Directory.Exists(slot.Directory))
                {
                    System.IO.Directory.Delete(slot.Directory, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Removed at the next start (RemoveLeftovers).
            }
        }

        if (reason is not null && slots.Count > 0)
        {
            LogRemoved(slots.Count, reason);
        }
    }

    private async Task FillAsync(Pool pool)
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

                TSlot slot;
                try
                {
                    slot = await CreateAsync(pool.ImageRoot, pool.Template).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LaunchFailedException)
                {
                    // No retry loop: the next launch of the image tries again.
                    LogCreateFailed(pool.ImageRoot, ex.Message);
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
                    Remove([slot], "no longer wanted");
                    return;
                }

                await SettleAsync(slot).ConfigureAwait(false);
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

    /// <summary>One image's warm instances, all of one shape.</summary>
    private sealed class Pool(string imageRoot, string key, TTemplate template)
    {
        public string ImageRoot { get; } = imageRoot;

        public string Key { get; } = key;

        /// <summary>What the launch that made this pool ran: the template of its slots.</summary>
        public TTemplate Template { get; } = template;

        public Queue<TSlot> Ready { get; } = new();

        public int Size { get; set; }

        public bool Filling { get; set; }

        public bool Dropped { get; set; }
    }
}

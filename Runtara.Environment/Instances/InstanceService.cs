using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Core;
using Runtara.Environment.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Images;
using Runtara.Environment.Storage;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;
using CoreSignal = Runtara.Protocol.Management.SignalType;

namespace Runtara.Environment.Instances;

/// <summary>What StartInstance asks for.</summary>
public sealed record StartRequest(
    string ImageId,
    string TenantId,
    string? InstanceId,
    ReadOnlyMemory<byte> Input,
    uint? TimeoutSeconds,
    IReadOnlyDictionary<string, string> Env,
    uint? MaxRetries)
{
    /// <summary>The image version to start on; null for the newest.</summary>
    public int? ImageVersion { get; init; }

    /// <summary>For a re-run or fork, where it came from (shown with the instance).</summary>
    public string? Origin { get; init; }
}

/// <summary>A re-run (all checkpoints, <see cref="CheckpointId"/> null) or a fork (up to and including <see cref="CheckpointId"/>) of an instance.</summary>
public sealed record ForkRequest(string SourceInstanceId, string TenantId, string? CheckpointId, string? NewInstanceId, int? ImageVersion);

/// <summary>
/// An instance as GetInstanceStatus reports it: the environment's run (image, retries, process) merged
/// with the core's durable state (status, checkpoint, output). Null fields are absent on the wire.
/// </summary>
internal sealed record InstanceDetails
{
    public required string InstanceId { get; init; }

    public required string TenantId { get; init; }

    /// <summary>The core's status when the core knows the instance, else the run's.</summary>
    public required CoreStatus Status { get; init; }

    public long CreatedAtMs { get; init; }

    public string ImageId { get; init; } = string.Empty;

    public string ImageName { get; init; } = string.Empty;

    /// <summary>The image version the instance is pinned to.</summary>
    public int ImageVersion { get; init; } = 1;

    /// <summary>For a re-run or fork, where it came from.</summary>
    public string? Origin { get; init; }

    public int RetryCount { get; init; }

    public int MaxRetries { get; init; }

    public int LaunchCount { get; init; }

    public string? CheckpointId { get; init; }

    public long? StartedAtMs { get; init; }

    public long? FinishedAtMs { get; init; }

    /// <summary>The workflow's output as the core stores it (UTF-8 JSON).</summary>
    public ByteString? Output { get; init; }

    public string? Error { get; init; }

    public byte[]? Input { get; init; }

    /// <summary>The core's time of the instance's last RPC, event or checkpoint (also its heartbeat time).</summary>
    public long? LastActivityMs { get; init; }

    public long? WakeAtMs { get; init; }

    public long? MemoryPeakBytes { get; init; }

    public long? CpuUsageUsec { get; init; }

    public string? Stderr { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>The live process's id while one runs here.</summary>
    /// <summary>What a SUSPENDED instance waits for (the core's view); null otherwise.</summary>
    public Protocol.Management.WaitingFor? WaitingFor { get; init; }

    /// <summary>The parent of a child instance.</summary>
    public string? ParentId { get; init; }

    public int? Pid { get; init; }
}

/// <summary>
/// Instance operations of the environment protocol (SPEC §6.4.7–6.4.15), tenant-checked when the
/// request names a tenant, and forwarded to the core through the management protocol.
/// </summary>
internal sealed class InstanceService(
    IEnvironmentStore store,
    ICoreClient core,
    ImageService images,
    InstanceSupervisor supervisor,
    IOptions<EnvironmentOptions> options,
    TimeProvider time,
    ILogger<InstanceService> logger)
{
    // How long a wake waits for a process of the same instance that is still exiting.
    private static readonly TimeSpan ExitingProcessWait = TimeSpan.FromSeconds(30);

    private readonly EnvironmentOptions _options = options.Value;

    // Starts of one tenant count and insert one at a time, so concurrent starts (a batch of children)
    // cannot all see the same free slot. Per process: environments sharing one store are not serialized.
    private readonly KeyedLock _tenantAdmissions = new();

    public Task<(string InstanceId, bool Created)> StartAsync(StartRequest request, CancellationToken cancellationToken) =>
        StartAsync(request, prepare: null, cancellationToken);

    /// <summary>
    /// Re-runs a FAILED or CANCELLED instance, or forks any instance at one of its checkpoints
    /// (docs/operations.md, "Re-run and fork"): a new instance of the source's image (the newest version
    /// unless one is named) with the source's input, timeout, retries and variables, whose checkpoints
    /// are copied from the source by the core before its first process starts, so that process replays
    /// them and runs on from there. Returns the new instance's id and how many checkpoints it got.
    /// </summary>
    public async Task<(string InstanceId, int CheckpointsCopied)> ForkAsync(ForkRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var source = await GetOwnedRunAsync(request.SourceInstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        string origin;
        if (request.CheckpointId is null)
        {
            var status = (await core.GetStatusAsync(source.InstanceId, cancellationToken).ConfigureAwait(false))?.Status ?? CoreStatus.StatusUnknown;
            if (status is not (CoreStatus.StatusFailed or CoreStatus.StatusCancelled))
            {
                throw new InvalidInstanceStateException(source.InstanceId, "rerun", StatusName(status), "must be failed or cancelled");
            }

            origin = $"rerun of {source.InstanceId}";
        }
        else
        {
            InvalidArgumentException.ThrowIfEmpty(request.CheckpointId, "checkpoint_id");
            // Checked before anything is created: a fork from a checkpoint that does not exist leaves nothing behind.
            if (!(await core.GetCheckpointAsync(source.InstanceId, request.CheckpointId, cancellationToken).ConfigureAwait(false)).Found)
            {
                throw new InvalidArgumentException("checkpoint_id", $"instance '{source.InstanceId}' has no checkpoint '{request.CheckpointId}'");
            }

            origin = $"fork of {source.InstanceId} at {request.CheckpointId}";
        }

        var env = source.Env is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(source.Env) ?? [];
        var copied = 0;
        var (instanceId, _) = await StartAsync(
            new StartRequest(source.ImageId, source.TenantId, request.NewInstanceId, source.Input ?? "{}"u8.ToArray(), (uint)source.TimeoutSeconds, env, (uint)source.MaxRetries)
            {
                ImageVersion = request.ImageVersion,
                Origin = origin,
            },
            async (target, token) =>
            {
                var response = await core.CopyCheckpointsAsync(source.InstanceId, target, source.TenantId, request.CheckpointId, token).ConfigureAwait(false);
                copied = (int)response.Copied;
            },
            cancellationToken).ConfigureAwait(false);
        Log.InstanceForked(logger, instanceId, origin, copied);
        return (instanceId, copied);
    }

    /// <param name="prepare">Runs after the core created the instance and before its first process starts (a fork copies checkpoints there).</param>
    private async Task<(string InstanceId, bool Created)> StartAsync(StartRequest request, Func<string, CancellationToken, Task>? prepare, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        InvalidArgumentException.ThrowIfEmpty(request.ImageId, "image_id");
        var tenantId = Identifiers.Require(request.TenantId, "tenant_id");
        var instanceId = string.IsNullOrEmpty(request.InstanceId) ? Guid.NewGuid().ToString() : Identifiers.Require(request.InstanceId, "instance_id");
        var input = NormalizeInput(request.Input);
        var env = ValidateEnv(request.Env);
        var image = request.ImageVersion is { } version
            ? await images.GetVersionAsync(request.ImageId, tenantId, version, cancellationToken).ConfigureAwait(false)
            : await images.GetAsync(request.ImageId, tenantId, cancellationToken).ConfigureAwait(false);
        var timeout = request.TimeoutSeconds is > 0 ? (int)Math.Min(request.TimeoutSeconds.Value, int.MaxValue) : (int)_options.DefaultTimeout.TotalSeconds;

        using var held = await supervisor.LockAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var existing = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return IdempotentStart(existing, image, tenantId);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var run = new RunRecord
        {
            InstanceId = instanceId,
            TenantId = tenantId,
            ImageId = image.ImageId,
            ImageName = image.Name,
            ImageVersion = image.Version,
            Input = input,
            Env = env.Count == 0 ? null : JsonSerializer.Serialize(env),
            TimeoutSeconds = timeout,
            MaxRetries = (int)Math.Min(request.MaxRetries ?? (uint)_options.MaxRetries, 100),
            TraceParent = Activity.Current?.Id,
            Origin = request.Origin,
            CreatedAtMs = now,
            UpdatedAtMs = now,
            // Owned from its insert, so no other environment on the database takes over a start still under way.
            OwnerId = supervisor.EnvironmentId,
            LeaseUntilMs = supervisor.LeaseUntilMs(),
        };
        using (await _tenantAdmissions.AcquireAsync(tenantId, cancellationToken).ConfigureAwait(false))
        {
            // Suspended runs hold no slot (docs/environment.md, "Tenant quota"): a parent waiting for its children does not block them.
            if (await store.CountActiveRunsOfTenantAsync(tenantId, cancellationToken).ConfigureAwait(false) >= _options.MaxActiveInstancesPerTenant)
            {
                throw new QuotaExceededException(tenantId, _options.MaxActiveInstancesPerTenant);
            }

            if (!await store.TryInsertRunAsync(run, cancellationToken).ConfigureAwait(false))
            {
                existing = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
                return IdempotentStart(existing!, image, tenantId);
            }
        }

        try
        {
            // The core knows the instance (PENDING, with its tenant) before any process can register.
            var created = await core.CreateInstanceAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
            run = run with { CreatedAtMs = created.CreatedAtMs > 0 ? created.CreatedAtMs : now };
        }
        catch
        {
            // Nothing is left behind when the core refuses or cannot be reached.
            await store.DeleteRunAsync(instanceId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        if (prepare is not null)
        {
            try
            {
                await prepare(instanceId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is EnvironmentException or OperationCanceledException)
            {
                // The core has the instance now: it ends FAILED with the reason rather than staying PENDING.
                await core.FinishAsync(instanceId, CoreStatus.StatusFailed, $"Could not be prepared: {ex.Message}", null, CoreStatus.StatusPending, CancellationToken.None).ConfigureAwait(false);
                await SyncAsync(run, await core.GetStatusAsync(instanceId, CancellationToken.None).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        await supervisor.LaunchAsync(run, checkpointId: null, "start", cancellationToken).ConfigureAwait(false);
        return (instanceId, true);
    }

    public async Task StopAsync(string instanceId, string? tenantId, TimeSpan grace, string reason, CancellationToken cancellationToken)
    {
        var run = await GetOwnedRunAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
        var status = await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var coreStatus = status?.Status ?? CoreStatus.StatusUnknown;
        // A finished instance stays as it finished (its process, if still exiting, ends on its own).
        if (coreStatus == CoreStatus.StatusCancelled)
        {
            await SyncLockedAsync(instanceId, status, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (coreStatus is CoreStatus.StatusCompleted or CoreStatus.StatusFailed)
        {
            await SyncLockedAsync(instanceId, status, cancellationToken).ConfigureAwait(false);
            throw new InvalidInstanceStateException(instanceId, "stop", StatusName(coreStatus), "it already finished");
        }

        var reasonText = string.IsNullOrWhiteSpace(reason) ? "Stopped by request" : reason;
        try
        {
            await StopAndSettleAsync(instanceId, run, reasonText, grace, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            supervisor.StopSettled(instanceId);
        }
    }

    /// <summary>Ends the instance's process (cancel, grace, SIGTERM, SIGKILL) or waits for its owner's, then settles it CANCELLED.</summary>
    private async Task StopAndSettleAsync(string instanceId, RunRecord run, string reasonText, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (supervisor.IsLive(instanceId))
        {
            // Ask the instance to stop cleanly first (it acknowledges → CANCELLED), then SIGTERM, then SIGKILL.
            try
            {
                await core.SendSignalAsync(instanceId, CoreSignal.SignalCancel, Encoding.UTF8.GetBytes(reasonText), cancellationToken).ConfigureAwait(false);
            }
            catch (EnvironmentException ex)
            {
                Log.CoreUpdateFailed(logger, instanceId, ex.Message);
            }

            await supervisor.StopProcessAsync(instanceId, grace, cancellationToken).ConfigureAwait(false);
        }
        else if (supervisor.RunsElsewhere(run))
        {
            // The process lives on its owner's machine: the cancel goes through the core and the process ends on it
            // there. SIGTERM/SIGKILL only happen where the process lives, so after the grace the core is told CANCELLED
            // (below) and the owner's process, refused by the core, ends or is ended by its own environment.
            Log.RemoteStopRequested(logger, instanceId, run.OwnerId!);
            await core.SendSignalAsync(instanceId, CoreSignal.SignalCancel, Encoding.UTF8.GetBytes(reasonText), cancellationToken).ConfigureAwait(false);
            await WaitForCoreToFinishAsync(instanceId, grace, cancellationToken).ConfigureAwait(false);
        }

        using var held = await supervisor.LockAsync(instanceId, cancellationToken).ConfigureAwait(false);
        await core.FinishAsync(instanceId, CoreStatus.StatusCancelled, reasonText, null, null, cancellationToken).ConfigureAwait(false);
        run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false) ?? run;
        await SyncAsync(run, await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        Log.InstanceStopped(logger, instanceId, reasonText);
    }

    /// <summary>Polls the core until the instance is terminal or <paramref name="grace"/> passed.</summary>
    private async Task WaitForCoreToFinishAsync(string instanceId, TimeSpan grace, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + grace;
        while (time.GetUtcNow() < deadline)
        {
            var status = await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
            if (status is null || RunStatusNames.IsTerminal(RunStatusNames.FromCore(status.Status)))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task ResumeAsync(string instanceId, string? tenantId, CancellationToken cancellationToken)
    {
        var run = await GetOwnedRunAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
        using var held = await supervisor.LockAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var status = await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var coreStatus = status?.Status ?? CoreStatus.StatusUnknown;
        if (coreStatus != CoreStatus.StatusSuspended || supervisor.IsLive(instanceId))
        {
            throw new InvalidInstanceStateException(instanceId, "resume", supervisor.IsLive(instanceId) ? "running" : StatusName(coreStatus), "must be suspended");
        }

        run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false) ?? run;
        await supervisor.LaunchAsync(run, status!.HasCheckpointId ? status.CheckpointId : run.CheckpointId, "resume", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Relaunches an instance whose sleep or wait is over; false when it is not this environment's. A
    /// process of it that is still exiting (it suspended a moment ago and the signal came at once) is
    /// waited for first, so the wake is not lost to it.
    /// </summary>
    public async Task<bool> WakeAsync(string instanceId, string? checkpointId, CancellationToken cancellationToken)
    {
        await supervisor.WaitSettledAsync(instanceId, ExitingProcessWait, cancellationToken).ConfigureAwait(false);
        using var held = await supervisor.LockAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (run is null || run.IsTerminal || supervisor.IsLive(instanceId))
        {
            return false;
        }

        // The relaunch joins the instance's trace (started by StartInstance), so one trace covers the
        // instance across its suspensions; the relaunched process joins it in turn.
        using var activity = EnvironmentTelemetry.Source.StartActivity("WakeInstance", ActivityKind.Internal, TraceOf(run));
        activity?.SetTag("runtara.instance_id", instanceId);

        await supervisor.LaunchAsync(run, checkpointId ?? run.CheckpointId, "wake", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Starts a child instance a workflow recorded (StartChild), as StartInstance would with the image the
    /// parent named, in the parent's tenant (its quota applies: over it, the start waits for the lease
    /// (<see cref="EnvironmentOptions.WakeLease"/>) to expire and is tried again). A child whose image
    /// does not exist ends FAILED, which its parent sees.
    /// </summary>
    public async Task StartChildAsync(Protocol.Management.ChildStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);

        // A child joins its parent's trace.
        var parent = await store.GetRunAsync(start.ParentId, cancellationToken).ConfigureAwait(false);
        using var activity = EnvironmentTelemetry.Source.StartActivity("StartChildInstance", ActivityKind.Internal, parent is null ? default : TraceOf(parent));
        activity?.SetTag("runtara.instance_id", start.ChildId);
        activity?.SetTag("runtara.parent_id", start.ParentId);
        ImageRecord image;
        try
        {
            image = await images.ResolveAsync(start.Image, start.TenantId, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageNotFoundException ex)
        {
            Log.ChildStartRefused(logger, start.ChildId, start.ParentId, ex.Message);
            await core.FinishAsync(start.ChildId, CoreStatus.StatusFailed, $"Cannot start the child: {ex.Message}", null, CoreStatus.StatusPending, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await StartAsync(new StartRequest(image.ImageId, start.TenantId, start.ChildId, start.Input.Memory, null, new Dictionary<string, string>(), null), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidArgumentException ex)
        {
            Log.ChildStartRefused(logger, start.ChildId, start.ParentId, ex.Message);
            await core.FinishAsync(start.ChildId, CoreStatus.StatusFailed, $"Cannot start the child: {ex.Message}", null, CoreStatus.StatusPending, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The instance's status (<see cref="Merge"/>); null when neither this environment nor the core knows it for the tenant.</summary>
    public async Task<InstanceDetails?> GetAsync(string instanceId, string? tenantId, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(instanceId, "instance_id");
        var run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (run is not null && !string.IsNullOrEmpty(tenantId) && run.TenantId != tenantId)
        {
            return null;
        }

        var status = await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            // Instances started elsewhere (self-registered at the core) are shown without image details.
            return status is null || (!string.IsNullOrEmpty(tenantId) && status.TenantId != tenantId) ? null : Merge(instanceId, null, status, null);
        }

        // The core's outcome is copied at once (the process may still be exiting), so lists agree with status.
        if (status is not null && RunStatusNames.FromCore(status.Status) is { } coreStatus && coreStatus != run.Status && coreStatus is not (RunStatus.Running or RunStatus.Pending))
        {
            run = await SyncLockedAsync(instanceId, status, cancellationToken).ConfigureAwait(false) ?? run;
        }

        return Merge(instanceId, run, status, supervisor.LivePid(instanceId));
    }

    /// <summary>
    /// Joins the run and the core's status (at least one of them present). The core owns the durable
    /// state (status, checkpoint, finish time, output, error) and wins when it has a value; the run
    /// fills what only the environment knows and what the core has not got.
    /// </summary>
    internal static InstanceDetails Merge(string instanceId, RunRecord? run, Protocol.Management.GetInstanceStatusResponse? status, int? pid)
    {
        if (run is null && status is null)
        {
            throw new ArgumentException("A run or a core status is needed.", nameof(run));
        }

        var merged = status?.Status ?? run!.Status.ToCore();
        return new InstanceDetails
        {
            InstanceId = instanceId,
            Status = merged,
            TenantId = run?.TenantId ?? status!.TenantId,
            CreatedAtMs = run?.CreatedAtMs ?? status!.CreatedAtMs,
            ImageId = run?.ImageId ?? string.Empty,
            ImageName = run?.ImageName ?? string.Empty,
            ImageVersion = run?.ImageVersion ?? 1,
            Origin = run?.Origin,
            RetryCount = run?.RetryCount ?? 0,
            MaxRetries = run?.MaxRetries ?? 0,
            LaunchCount = run?.LaunchCount ?? 0,
            CheckpointId = status?.HasCheckpointId == true ? status.CheckpointId : run?.CheckpointId,
            StartedAtMs = run?.StartedAtMs ?? (status is { StartedAtMs: > 0 } ? status.StartedAtMs : null),
            // A finish time only counts once the instance is terminal: a suspended run (or core status) may carry
            // the time its last process ended.
            FinishedAtMs = !RunStatusNames.IsTerminal(RunStatusNames.FromCore(merged)) ? null
                : status?.HasFinishedAtMs == true ? status.FinishedAtMs : run?.FinishedAtMs,
            Output = status?.HasOutput == true ? status.Output : null,
            // The run's error (e.g. a launch failure) shows only when the core does not know better.
            Error = status?.HasError == true ? status.Error : run?.Error is { } error && (status is null || status.Status is CoreStatus.StatusFailed) ? error : null,
            Input = run?.Input,
            LastActivityMs = status is { LastActivityMs: > 0 } ? status.LastActivityMs : null,
            WakeAtMs = status?.HasWakeAtMs == true ? status.WakeAtMs : null,
            MemoryPeakBytes = run?.MemoryPeakBytes,
            CpuUsageUsec = run?.CpuUsageUsec,
            Stderr = run?.StderrTail,
            ExitCode = run?.ExitCode,
            Pid = pid,
            WaitingFor = status?.WaitingFor,
            ParentId = status?.HasParentId == true ? status.ParentId : null,
        };
    }

    public Task<Page<RunRecord>> ListAsync(RunQuery query, CancellationToken cancellationToken) => store.ListRunsAsync(query, cancellationToken);

    public async Task SendSignalAsync(string instanceId, string? tenantId, CoreSignal type, byte[] payload, CancellationToken cancellationToken)
    {
        var run = await EnsureOwnedAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
        await core.SendSignalAsync(instanceId, type, payload, cancellationToken).ConfigureAwait(false);
        // A run another environment owns and runs: its process reads the cancel there.
        if (type == CoreSignal.SignalCancel && run is not null && !supervisor.IsLive(instanceId) && !supervisor.RunsElsewhere(run))
        {
            // No process will ever read it (suspended or never launched): cancel at once.
            using var held = await supervisor.LockAsync(instanceId, cancellationToken).ConfigureAwait(false);
            var status = await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
            if (status is not null && status.Status is CoreStatus.StatusSuspended or CoreStatus.StatusPending && !supervisor.IsLive(instanceId))
            {
                await core.FinishAsync(instanceId, CoreStatus.StatusCancelled, payload.Length > 0 ? Encoding.UTF8.GetString(payload) : "Cancelled by signal", null, status.Status, cancellationToken).ConfigureAwait(false);
                run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false) ?? run;
                await SyncAsync(run, await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task SendCustomSignalAsync(string instanceId, string? tenantId, string checkpointId, byte[] payload, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        await EnsureOwnedAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
        await core.SendCustomSignalAsync(instanceId, checkpointId, payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the instance exists and (when a tenant is named) belongs to it; returns the run when this environment has one.</summary>
    public async Task<RunRecord?> EnsureOwnedAsync(string instanceId, string? tenantId, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(instanceId, "instance_id");
        var run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (run is not null)
        {
            return string.IsNullOrEmpty(tenantId) || run.TenantId == tenantId ? run : throw new InstanceNotFoundException(instanceId);
        }

        if (!string.IsNullOrEmpty(tenantId))
        {
            var status = await core.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
            if (status is null || status.TenantId != tenantId)
            {
                throw new InstanceNotFoundException(instanceId);
            }
        }

        return null;
    }

    /// <summary>The path of an instance's log file, after the ownership check; null when no log exists.</summary>
    public async Task<string?> LogPathAsync(string instanceId, string? tenantId, string stream, CancellationToken cancellationToken)
    {
        var run = await GetOwnedRunAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
        var directory = supervisor.Directory(run);
        var path = stream switch
        {
            "" or "stderr" => directory.StderrPath,
            "stdout" => directory.StdoutPath,
            _ => throw new InvalidArgumentException("stream", $"must be 'stdout' or 'stderr', got '{stream}'"),
        };
        return File.Exists(path) ? path : null;
    }

    private async Task<RunRecord> GetOwnedRunAsync(string instanceId, string? tenantId, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(instanceId, "instance_id");
        var run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return run is not null && (string.IsNullOrEmpty(tenantId) || run.TenantId == tenantId) ? run : throw new InstanceNotFoundException(instanceId);
    }

    /// <summary>Copies the core's status into the run under the instance lock, from a fresh read (never a stale copy).</summary>
    private async Task<RunRecord?> SyncLockedAsync(string instanceId, Protocol.Management.GetInstanceStatusResponse? status, CancellationToken cancellationToken)
    {
        using var held = await supervisor.LockAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var run = await store.GetRunAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return run is null ? null : await SyncAsync(run, status, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the core's status into the run; the caller holds the instance lock and read <paramref name="run"/> under it.</summary>
    private async Task<RunRecord> SyncAsync(RunRecord run, Protocol.Management.GetInstanceStatusResponse? status, CancellationToken cancellationToken)
    {
        if (status is null || RunStatusNames.FromCore(status.Status) is not { } coreStatus || coreStatus == run.Status && run.FinishedAtMs is not null)
        {
            return run;
        }

        var updated = run with
        {
            Status = coreStatus,
            FinishedAtMs = coreStatus is RunStatus.Running or RunStatus.Pending ? null : status.HasFinishedAtMs ? status.FinishedAtMs : run.FinishedAtMs ?? time.GetUtcNow().ToUnixTimeMilliseconds(),
            CheckpointId = status.HasCheckpointId ? status.CheckpointId : run.CheckpointId,
            Error = status.HasError ? status.Error : run.Error,
            UpdatedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        await store.UpdateRunAsync(updated, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    private static (string, bool) IdempotentStart(RunRecord existing, ImageRecord image, string tenantId)
    {
        if (existing.TenantId != tenantId)
        {
            throw new InstanceAlreadyExistsException(existing.InstanceId, "for another tenant");
        }

        if (existing.ImageId != image.ImageId)
        {
            throw new InstanceAlreadyExistsException(existing.InstanceId, $"with image '{existing.ImageId}', not '{image.ImageId}'");
        }

        return (existing.InstanceId, false);
    }

    /// <summary>The JSON input of a start ({} when empty); <see cref="InvalidArgumentException"/> when it is not JSON.</summary>
    internal static byte[] NormalizeInput(ReadOnlyMemory<byte> input)
    {
        if (input.IsEmpty)
        {
            return "{}"u8.ToArray();
        }

        try
        {
            using var document = JsonDocument.Parse(input);
            return input.ToArray();
        }
        catch (JsonException ex)
        {
            throw new InvalidArgumentException("input", $"is not valid JSON: {ex.Message}");
        }
    }

    private static Dictionary<string, string> ValidateEnv(IReadOnlyDictionary<string, string> env)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in env)
        {
            if (string.IsNullOrEmpty(key) || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new InvalidArgumentException("env", $"has an invalid variable name or value ('{key}')");
            }

            result[key] = value;
        }

        return result;
    }

    public static string StatusName(CoreStatus status) => status switch
    {
        CoreStatus.StatusPending => "pending",
        CoreStatus.StatusRunning => "running",
        CoreStatus.StatusSuspended => "suspended",
        CoreStatus.StatusCompleted => "completed",
        CoreStatus.StatusFailed => "failed",
        CoreStatus.StatusCancelled => "cancelled",
        _ => "unknown",
    };

    private static ActivityContext TraceOf(RunRecord run) =>
        run.TraceParent is { } parent && ActivityContext.TryParse(parent, null, out var context) ? context : default;
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Events;
using Runtara.Engine.Hosting;
using Runtara.Engine.Storage;
using Runtara.Engine.Waits;

namespace Runtara.Engine.Instances;

/// <summary>Instance lifecycle: creation, registration, status, guarded terminal updates, due wake-ups.</summary>
internal sealed class InstanceService(ICoreStore store, ActivityTracker activity, WakeupNotifier notifier, TimeProvider time, IOptions<EngineOptions> options, ILogger<InstanceService> logger)
{
    private readonly EngineOptions _options = options.Value;

    /// <summary>
    /// RegisterInstance: PENDING/SUSPENDED → RUNNING, RUNNING → RUNNING (re-register after a
    /// restart), unknown → created RUNNING when self-registration is allowed. Terminal instances and
    /// other tenants' instances are refused; a named resume checkpoint must exist.
    /// </summary>
    public async Task<Registration> RegisterAsync(string instanceId, string tenantId, string? checkpointId, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(tenantId, "tenant_id");
        var registration = await store.WriteAsync("register_instance", async (writer, token) =>
        {
            var now = time.NowMs();
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false);
            if (instance is null && !_options.AllowSelfRegistration)
            {
                throw new InstanceNotFoundException(instanceId);
            }

            if (instance is not null)
            {
                if (!string.Equals(instance.TenantId, tenantId, StringComparison.Ordinal))
                {
                    throw new TenantMismatchException(instanceId, tenantId);
                }

                InstanceStateMachine.Ensure(instance, InstanceStateMachine.RegisterFrom, "register");
            }

            if (!string.IsNullOrEmpty(checkpointId) && !await writer.CheckpointExistsAsync(instanceId, checkpointId, token).ConfigureAwait(false))
            {
                throw new CheckpointNotFoundException(instanceId, checkpointId);
            }

            if (instance is null)
            {
                await writer.InsertInstanceAsync(new InstanceRecord
                {
                    InstanceId = instanceId,
                    TenantId = tenantId,
                    Status = InstanceStatus.Running,
                    CreatedAtMs = now,
                    StartedAtMs = now,
                    LastActivityMs = now,
                    Incarnation = 1,
                }, token).ConfigureAwait(false);
            }
            else
            {
                // A wake or resume ends the sleep; the first start time is kept.
                await writer.UpdateInstanceAsync(instance with
                {
                    Status = InstanceStatus.Running,
                    StartedAtMs = instance.StartedAtMs ?? now,
                    LastActivityMs = now,
                    SleepUntilMs = null,
                    WakeLeaseUntilMs = null,
                    WaitingFor = null,
                    // A new incarnation fences off every earlier process of the instance (IncarnationFence).
                    Incarnation = instance.Incarnation + 1,
                }, token).ConfigureAwait(false);
            }

            await writer.InsertEventAsync(new NewEvent(instanceId, EventKind.Started, checkpointId, null, null, now, null), token).ConfigureAwait(false);
            return new Registration(instance?.Status, instance?.CheckpointId, (instance?.Incarnation ?? 0) + 1);
        }, cancellationToken).ConfigureAwait(false);

        var previous = registration.Previous;
        if (previous != InstanceStatus.Running)
        {
            EngineTelemetry.RecordStatusChange(InstanceStatus.Running);
        }

        Log.InstanceRegistered(logger, instanceId, tenantId, previous?.ToStorageName() ?? "none");
        return registration;
    }

    /// <summary>CreateInstance (management): a PENDING instance, idempotent for the same tenant.</summary>
    public async Task<(bool Created, InstanceRecord Instance)> CreateAsync(string instanceId, string tenantId, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(tenantId, "tenant_id");
        var result = await store.WriteAsync("create_instance", async (writer, token) =>
        {
            var existing = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false);
            if (existing is not null)
            {
                return string.Equals(existing.TenantId, tenantId, StringComparison.Ordinal)
                    ? (false, existing)
                    : throw new InstanceAlreadyExistsException(instanceId, tenantId);
            }

            var created = new InstanceRecord { InstanceId = instanceId, TenantId = tenantId, Status = InstanceStatus.Pending, CreatedAtMs = time.NowMs() };
            await writer.InsertInstanceAsync(created, token).ConfigureAwait(false);
            return (true, created);
        }, cancellationToken).ConfigureAwait(false);

        if (result.Item1)
        {
            EngineTelemetry.RecordStatusChange(InstanceStatus.Pending);
        }

        return result;
    }

    /// <summary>The stored instance, or null. <paramref name="fromInstance"/> stamps activity.</summary>
    public async Task<InstanceRecord?> GetAsync(string instanceId, bool fromInstance, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        if (fromInstance)
        {
            activity.Touch(instanceId);
        }

        return await store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses a caller whose <paramref name="incarnation"/> is not the instance's current one, from the
    /// committed row: for calls that write nothing to storage (RenewCredential). Writes check inside their transaction.
    /// </summary>
    public async Task EnsureCurrentIncarnationAsync(string instanceId, long incarnation, CancellationToken cancellationToken)
    {
        if (incarnation == IncarnationFence.NotPresented)
        {
            return;
        }

        IncarnationFence.Ensure(await store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false), incarnation);
    }

    public Task<Page<InstanceRecord>> ListAsync(InstanceQuery query, CancellationToken cancellationToken) =>
        store.ListInstancesAsync(query, cancellationToken);

    /// <summary>
    /// FinishInstance (management): a guarded terminal update with compare-and-set semantics. Applies
    /// only from a state <see cref="InstanceStateMachine.FinishFrom"/> allows and, when given, only
    /// while the instance is in <paramref name="expected"/>; otherwise reports the current status.
    /// </summary>
    public async Task<(bool Applied, InstanceStatus Status)> FinishAsync(
        string instanceId, InstanceStatus target, string? error, byte[]? output, InstanceStatus? expected, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(instanceId, "instance_id");
        if (!target.IsTerminal())
        {
            throw new CoreValidationException("status", "must be COMPLETED, FAILED or CANCELLED");
        }

        var result = await store.WriteAsync("finish_instance", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(instanceId, token).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);
            if ((expected is { } wanted && instance.Status != wanted) || !InstanceStateMachine.FinishFrom(target).Contains(instance.Status))
            {
                return (false, instance.Status, instance.Status, false);
            }

            var now = time.NowMs();
            await writer.UpdateInstanceAsync(instance with
            {
                Status = target,
                FinishedAtMs = now,
                Output = target == InstanceStatus.Completed ? output : null,
                Error = target == InstanceStatus.Completed ? null : error,
                SleepUntilMs = null,
                WakeLeaseUntilMs = null,
                WaitingFor = null,
            }, token).ConfigureAwait(false);
            var due = await InstanceEndings.OnEndedAsync(writer, instanceId, target, now, token).ConfigureAwait(false);
            return (true, target, instance.Status, due);
        }, cancellationToken).ConfigureAwait(false);

        if (result.Item4)
        {
            notifier.Pulse();
        }

        if (result.Item1)
        {
            EngineTelemetry.RecordStatusChange(target);
            Log.InstanceStatusChanged(logger, instanceId, result.Item3.ToStorageName(), target.ToStorageName());
        }

        return (result.Item1, result.Item2);
    }
}

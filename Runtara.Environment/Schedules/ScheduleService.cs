using Runtara.Environment.Images;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Schedules;

/// <summary>What CreateSchedule asks for.</summary>
public sealed record ScheduleDefinition(
    string TenantId,
    string ScheduleId,
    string Image,
    string? Cron,
    string? TimeZone,
    long? IntervalMs,
    ReadOnlyMemory<byte> Input,
    ScheduleOverlap Overlap,
    ScheduleCatchUp CatchUp,
    int CatchUpLimit,
    bool Paused);

/// <summary>
/// Schedule operations of the environment protocol (docs/protocol.md "Schedules"). Every operation is
/// scoped to the request's tenant: another tenant's schedule is reported exactly like a missing one.
/// Fires themselves are the <see cref="Workers.ScheduleWorker"/>'s.
/// </summary>
internal sealed class ScheduleService(IEnvironmentStore store, ImageService images, IScheduleInstances instances, TimeProvider time)
{
    /// <summary>Most missed fires CATCH_UP_RUN_ALL may start after a downtime.</summary>
    public const int MaxCatchUpLimit = 1000;

    /// <summary>Creates the schedule, or replaces the definition of the tenant's schedule of that id (what an AppHost does on every start).</summary>
    public async Task<(ScheduleRecord Schedule, bool Created)> CreateAsync(ScheduleDefinition definition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var tenantId = Identifiers.Require(definition.TenantId, "tenant_id");
        var scheduleId = Identifiers.Require(definition.ScheduleId, "schedule_id");
        if (scheduleId.Length > ScheduleInstanceIds.MaxScheduleIdLength)
        {
            throw new InvalidArgumentException("schedule_id", $"is longer than {ScheduleInstanceIds.MaxScheduleIdLength} characters (instance ids of its fires add 17)");
        }

        if (definition.CatchUpLimit is < 0 or > MaxCatchUpLimit)
        {
            throw new InvalidArgumentException("catch_up_limit", $"must be between 0 and {MaxCatchUpLimit}");
        }

        InvalidArgumentException.ThrowIfEmpty(definition.Image, "image_id");
        var input = InstanceService.NormalizeInput(definition.Input);
        var existing = await store.GetScheduleAsync(scheduleId, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.TenantId != tenantId)
        {
            throw new ScheduleAlreadyExistsException(scheduleId);
        }

        var image = await images.ResolveAsync(definition.Image, tenantId, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var timeZone = definition.TimeZone?.Trim() ?? string.Empty;
        var cron = string.IsNullOrWhiteSpace(definition.Cron) ? null : definition.Cron.Trim();

        var timing = ScheduleTiming.Parse(cron, timeZone, definition.IntervalMs, existing?.CreatedAtMs ?? now);
        var schedule = new ScheduleRecord
        {
            ScheduleId = scheduleId,
            TenantId = tenantId,
            ImageId = image.ImageId,
            Cron = cron,
            TimeZone = cron is null ? string.Empty : timeZone,
            IntervalMs = definition.IntervalMs,
            Input = input,
            Overlap = definition.Overlap,
            CatchUp = definition.CatchUp,
            CatchUpLimit = Math.Max(1, definition.CatchUpLimit),
            CreatedAtMs = existing?.CreatedAtMs ?? now,
            UpdatedAtMs = now,
        };

        if (existing is null)
        {
            schedule = schedule with { Paused = definition.Paused, NextFireAtMs = definition.Paused ? null : timing.Next(now, inclusive: false) };
            if (await store.TryInsertScheduleAsync(schedule, cancellationToken).ConfigureAwait(false))
            {
                return (schedule, true);
            }

            // Created meanwhile by another request: replace it as if it had been there (or refuse another tenant's).
            return await CreateAsync(definition, cancellationToken).ConfigureAwait(false);
        }

        // Re-registering the same timing keeps the persisted next fire (a restart must not shift or drop it).
        var paused = existing.Paused || definition.Paused;
        var sameTiming = existing.Cron == schedule.Cron && existing.TimeZone == schedule.TimeZone && existing.IntervalMs == schedule.IntervalMs;
        schedule = schedule with
        {
            Paused = paused,
            NextFireAtMs = paused ? null : sameTiming ? existing.NextFireAtMs : timing.Next(now, inclusive: false),
            LastFireAtMs = existing.LastFireAtMs,
            LastInstanceId = existing.LastInstanceId,
            BufferedFireAtMs = existing.BufferedFireAtMs,
        };
        if (!await store.UpdateScheduleAsync(schedule, cancellationToken).ConfigureAwait(false))
        {
            return await CreateAsync(definition, cancellationToken).ConfigureAwait(false);
        }

        return (schedule, false);
    }

    public async Task<ScheduleRecord> GetAsync(string scheduleId, string tenantId, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(scheduleId, "schedule_id");
        InvalidArgumentException.ThrowIfEmpty(tenantId, "tenant_id");
        var schedule = await store.GetScheduleAsync(scheduleId, cancellationToken).ConfigureAwait(false);
        return schedule is not null && schedule.TenantId == tenantId ? schedule : throw new ScheduleNotFoundException(scheduleId);
    }

    public Task<Page<ScheduleRecord>> ListAsync(string tenantId, int limit, int offset, CancellationToken cancellationToken)
    {
        Identifiers.Require(tenantId, "tenant_id");
        return store.ListSchedulesAsync(tenantId, limit, offset, cancellationToken);
    }

    /// <summary>Stops firing (a buffered fire waits too); idempotent.</summary>
    public async Task<ScheduleRecord> PauseAsync(string scheduleId, string tenantId, CancellationToken cancellationToken)
    {
        var schedule = await GetAsync(scheduleId, tenantId, cancellationToken).ConfigureAwait(false);
        return schedule.Paused ? schedule : await SaveAsync(schedule with { Paused = true, NextFireAtMs = null }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fires again from the first fire time after now: the paused time is not caught up. Idempotent.</summary>
    public async Task<ScheduleRecord> UnpauseAsync(string scheduleId, string tenantId, CancellationToken cancellationToken)
    {
        var schedule = await GetAsync(scheduleId, tenantId, cancellationToken).ConfigureAwait(false);
        if (!schedule.Paused)
        {
            return schedule;
        }

        var next = ScheduleTiming.Of(schedule).Next(time.GetUtcNow().ToUnixTimeMilliseconds(), inclusive: false);
        return await SaveAsync(schedule with { Paused = false, NextFireAtMs = next }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the schedule's instance of the current second now, paused or not, whatever its overlap policy (an operator asked for it).</summary>
    public async Task<(string InstanceId, bool Created)> TriggerAsync(string scheduleId, string tenantId, CancellationToken cancellationToken)
    {
        var schedule = await GetAsync(scheduleId, tenantId, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var fireAt = now - (now % 1000);
        var started = await instances.StartAsync(schedule, fireAt, cancellationToken).ConfigureAwait(false);
        await store.RecordScheduleRunAsync(schedule.ScheduleId, fireAt, started.InstanceId, now, cancellationToken).ConfigureAwait(false);
        return started;
    }

    /// <summary>Deletes the schedule; instances it started are not touched.</summary>
    public async Task DeleteAsync(string scheduleId, string tenantId, CancellationToken cancellationToken)
    {
        var schedule = await GetAsync(scheduleId, tenantId, cancellationToken).ConfigureAwait(false);
        if (!await store.DeleteScheduleAsync(schedule.ScheduleId, cancellationToken).ConfigureAwait(false))
        {
            throw new ScheduleNotFoundException(scheduleId);
        }
    }

    private async Task<ScheduleRecord> SaveAsync(ScheduleRecord schedule, CancellationToken cancellationToken)
    {
        var saved = schedule with { UpdatedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds() };
        return await store.UpdateScheduleAsync(saved, cancellationToken).ConfigureAwait(false) ? saved : throw new ScheduleNotFoundException(schedule.ScheduleId);
    }
}

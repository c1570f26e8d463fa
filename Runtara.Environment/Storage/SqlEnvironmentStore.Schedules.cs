using System.Data.Common;

namespace Runtara.Environment.Storage;

/// <summary>Schedules in the same SQL subset as runs; claims are conditional UPDATEs both databases serialise per row.</summary>
public abstract partial class SqlEnvironmentStore
{
    private const string ScheduleColumns =
        "schedule_id, tenant_id, image_id, cron, time_zone, interval_ms, input, overlap, catch_up, catch_up_limit, paused, " +
        "next_fire_at_ms, last_fire_at_ms, last_instance_id, buffered_fire_at_ms, created_at_ms, updated_at_ms";

    // A claim is free when nobody holds it or its holder's lease ran out.
    private const string Unclaimed = "(lease_until_ms IS NULL OR lease_until_ms <= @now)";

    public Task<bool> TryInsertScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken) => Run("insert schedule", async token =>
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var parameters = ScheduleParameters(schedule);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"INSERT INTO schedules ({ScheduleColumns}) VALUES ({string.Join(", ", parameters.Select(p => "@" + p.Name))}) ON CONFLICT (schedule_id) DO NOTHING",
            parameters);
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 1;
    }, cancellationToken);

    public Task<ScheduleRecord?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken) => Run("get schedule", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        return await ReadScheduleAsync(connection, scheduleId, token).ConfigureAwait(false);
    }, cancellationToken);

    public Task<Page<ScheduleRecord>> ListSchedulesAsync(string tenantId, int limit, int offset, CancellationToken cancellationToken) => Run("list schedules", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        long total;
        await using (var count = Command(connection, null, "SELECT COUNT(*) FROM schedules WHERE tenant_id = @tenant", ("tenant", tenantId)))
        {
            total = Convert.ToInt64(await count.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        var items = new List<ScheduleRecord>();
        await using var command = Command(connection, null, $"SELECT {ScheduleColumns} FROM schedules WHERE tenant_id = @tenant ORDER BY schedule_id LIMIT @limit OFFSET @offset",
            ("tenant", tenantId), ("limit", limit), ("offset", offset));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            items.Add(ReadSchedule(reader));
        }

        return new Page<ScheduleRecord>(items, total);
    }, cancellationToken);

    public Task<bool> UpdateScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken) => Run("update schedule", async token =>
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var parameters = ScheduleParameters(schedule);
        var sets = string.Join(", ", parameters.Where(p => p.Name is not "schedule_id" and not "created_at_ms").Select(p => $"{p.Name} = @{p.Name}"));
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, $"UPDATE schedules SET {sets}, lease_owner = NULL, lease_until_ms = NULL WHERE schedule_id = @schedule_id", parameters);
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 1;
    }, cancellationToken);

    public Task<bool> DeleteScheduleAsync(string scheduleId, CancellationToken cancellationToken) => Run("delete schedule", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM schedules WHERE schedule_id = @id", ("id", scheduleId));
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0;
    }, cancellationToken);

    public Task<IReadOnlyList<ScheduleRecord>> ClaimDueSchedulesAsync(string owner, long nowMs, long leaseUntilMs, int limit, CancellationToken cancellationToken) => Run("claim due schedules", async token =>
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        var candidates = new List<string>();
        await using (var select = Command(connection, null,
            $"SELECT schedule_id FROM schedules WHERE paused = 0 AND (next_fire_at_ms <= @now OR buffered_fire_at_ms IS NOT NULL) AND {Unclaimed} " +
            "ORDER BY next_fire_at_ms LIMIT @limit",
            ("now", nowMs), ("limit", limit)))
        {
            await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                candidates.Add(reader.GetString(0));
            }
        }

        var claimed = new List<ScheduleRecord>();
        foreach (var id in candidates)
        {
            // The WHERE is evaluated again under the row's write lock (PostgreSQL re-checks it after a concurrent
            // update commits, SQLite serialises writers), so of two claimers of one schedule only one sees 1 row.
            await using (var claim = Command(connection, null,
                $"UPDATE schedules SET lease_owner = @owner, lease_until_ms = @until WHERE schedule_id = @id AND paused = 0 AND {Unclaimed}",
                ("owner", owner), ("until", leaseUntilMs), ("id", id), ("now", nowMs)))
            {
                if (await claim.ExecuteNonQueryAsync(token).ConfigureAwait(false) != 1)
                {
                    continue;
                }
            }

            if (await ReadScheduleAsync(connection, id, token).ConfigureAwait(false) is { } schedule)
            {
                claimed.Add(schedule);
            }
        }

        return (IReadOnlyList<ScheduleRecord>)claimed;
    }, cancellationToken);

    public Task<bool> CompleteScheduleFireAsync(string owner, ScheduleFireOutcome outcome, CancellationToken cancellationToken) => Run("complete schedule fire", async token =>
    {
        ArgumentNullException.ThrowIfNull(outcome);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            "UPDATE schedules SET next_fire_at_ms = @next, last_fire_at_ms = @last_fire, last_instance_id = @last_instance, buffered_fire_at_ms = @buffered, " +
            "updated_at_ms = @updated, lease_owner = NULL, lease_until_ms = NULL WHERE schedule_id = @id AND lease_owner = @owner",
            ("next", outcome.NextFireAtMs), ("last_fire", outcome.LastFireAtMs), ("last_instance", outcome.LastInstanceId), ("buffered", outcome.BufferedFireAtMs),
            ("updated", outcome.UpdatedAtMs), ("id", outcome.ScheduleId), ("owner", owner));
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 1;
    }, cancellationToken);

    public Task RecordScheduleRunAsync(string scheduleId, long fireAtMs, string instanceId, long nowMs, CancellationToken cancellationToken) => Run("record schedule run", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            "UPDATE schedules SET last_fire_at_ms = @fire, last_instance_id = @instance, updated_at_ms = @now WHERE schedule_id = @id",
            ("fire", fireAtMs), ("instance", instanceId), ("now", nowMs), ("id", scheduleId));
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    private static async Task<ScheduleRecord?> ReadScheduleAsync(DbConnection connection, string scheduleId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, $"SELECT {ScheduleColumns} FROM schedules WHERE schedule_id = @id", ("id", scheduleId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSchedule(reader) : null;
    }

    private static (string Name, object? Value)[] ScheduleParameters(ScheduleRecord s) =>
    [
        ("schedule_id", s.ScheduleId), ("tenant_id", s.TenantId), ("image_id", s.ImageId), ("cron", s.Cron), ("time_zone", s.TimeZone),
        ("interval_ms", s.IntervalMs), ("input", s.Input), ("overlap", s.Overlap.ToStorage()), ("catch_up", s.CatchUp.ToStorage()),
        ("catch_up_limit", s.CatchUpLimit), ("paused", s.Paused ? 1 : 0), ("next_fire_at_ms", s.NextFireAtMs), ("last_fire_at_ms", s.LastFireAtMs),
        ("last_instance_id", s.LastInstanceId), ("buffered_fire_at_ms", s.BufferedFireAtMs), ("created_at_ms", s.CreatedAtMs), ("updated_at_ms", s.UpdatedAtMs),
    ];

    private static ScheduleRecord ReadSchedule(DbDataReader r) => new()
    {
        ScheduleId = r.GetString(0),
        TenantId = r.GetString(1),
        ImageId = r.GetString(2),
        Cron = NullableString(r, 3),
        TimeZone = r.GetString(4),
        IntervalMs = NullableLong(r, 5),
        Input = (byte[])r.GetValue(6),
        Overlap = SchedulePolicyNames.OverlapFromStorage(r.GetString(7)),
        CatchUp = SchedulePolicyNames.CatchUpFromStorage(r.GetString(8)),
        CatchUpLimit = Convert.ToInt32(r.GetValue(9), System.Globalization.CultureInfo.InvariantCulture),
        Paused = Convert.ToInt64(r.GetValue(10), System.Globalization.CultureInfo.InvariantCulture) != 0,
        NextFireAtMs = NullableLong(r, 11),
        LastFireAtMs = NullableLong(r, 12),
        LastInstanceId = NullableString(r, 13),
        BufferedFireAtMs = NullableLong(r, 14),
        CreatedAtMs = r.GetInt64(15),
        UpdatedAtMs = r.GetInt64(16),
    };
}

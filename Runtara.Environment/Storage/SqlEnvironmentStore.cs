using System.Data.Common;
using System.Text;
using Runtara.Data;

namespace Runtara.Environment.Storage;

/// <summary>
/// The store over ADO.NET. The SQL is the subset SQLite and PostgreSQL share (ON CONFLICT, LIMIT/OFFSET,
/// NULLS LAST, substr); the subclasses give connections and the dialect's migrations (Runtara.Data runs them).
/// </summary>
public abstract partial class SqlEnvironmentStore : IEnvironmentStore
{
    private const string RunColumns =
        "instance_id, tenant_id, image_id, image_name, status, input, env, timeout_seconds, created_at_ms, started_at_ms, finished_at_ms, " +
        "pid, process_start_ticks, exit_code, error, stderr_tail, memory_peak_bytes, cpu_usage_usec, retry_count, max_retries, launch_count, checkpoint_id, updated_at_ms, trace_parent, image_version, origin, owner_id, lease_until_ms";

    private const string ImageColumns =
        "image_id, tenant_id, name, description, runner_type, format, entrypoint, sha256, size_bytes, metadata, created_at_ms, updated_at_ms, version";

    /// <summary>An image as one of its versions: the name from <c>images i</c>, the content from <c>image_versions v</c>.</summary>
    private const string ImageVersionColumns =
        "i.image_id, i.tenant_id, i.name, i.description, v.runner_type, v.format, v.entrypoint, v.sha256, v.size_bytes, v.metadata, v.created_at_ms, v.created_at_ms, v.version";

    private const string VersionContentColumns = "runner_type, format, entrypoint, sha256, size_bytes, metadata";

    private static readonly RunStatus[] ActiveStatuses = [RunStatus.Pending, RunStatus.Running, RunStatus.Suspended];

    /// <summary>Opens a ready connection (pragmas applied).</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>The runner of this dialect's migrations.</summary>
    protected abstract MigrationRunner Migrations { get; }

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await Migrations.RunAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = Command(connection, null, "SELECT 1");
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (DbException)
        {
            return false;
        }
    }

    public Task<ImageRecord> RegisterImageAsync(ImageRecord image, CancellationToken cancellationToken) => Run("register image", async token =>
    {
        ArgumentNullException.ThrowIfNull(image);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        (string, object?)[] parameters =
        [
            ("id", image.ImageId), ("tenant", image.TenantId), ("name", image.Name), ("description", image.Description), ("runner", image.RunnerType),
            ("format", image.Format), ("entrypoint", image.Entrypoint), ("sha", image.Sha256), ("size", image.SizeBytes), ("metadata", image.Metadata),
            ("created", image.CreatedAtMs), ("updated", image.UpdatedAtMs),
        ];

        int? version = null;
        await using (var insert = Command(connection, transaction,
            $"INSERT INTO images ({ImageColumns}) VALUES (@id, @tenant, @name, @description, @runner, @format, @entrypoint, @sha, @size, @metadata, @created, @updated, 1) " +
            "ON CONFLICT (tenant_id, name) DO NOTHING", parameters))
        {
            if (await insert.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0)
            {
                version = 1;
            }
        }

        if (version is null)
        {
            // The name exists: different content is its next version. The row update is the lock that
            // orders concurrent registrations of one name, so each gets its own number; numbers of
            // deleted versions are never given again (versions_issued only grows).
            await using var next = Command(connection, transaction,
                "UPDATE images SET versions_issued = versions_issued + 1, version = versions_issued + 1, description = @description, runner_type = @runner, format = @format, entrypoint = @entrypoint, " +
                "sha256 = @sha, size_bytes = @size, metadata = @metadata, updated_at_ms = @updated " +
                "WHERE tenant_id = @tenant AND name = @name AND (sha256 <> @sha OR format <> @format OR entrypoint <> @entrypoint OR runner_type <> @runner " +
                "OR COALESCE(metadata, '') <> COALESCE(@metadata, '')) RETURNING version, image_id", parameters);
            await using var reader = await next.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                version = reader.GetInt32(0);
                parameters[0] = ("id", reader.GetString(1));
            }
        }
        else
        {
            parameters[0] = ("id", image.ImageId);
        }

        if (version is { } added)
        {
            await using var row = Command(connection, transaction,
                $"INSERT INTO image_versions (image_id, version, {VersionContentColumns}, created_at_ms) VALUES (@id, @version, @runner, @format, @entrypoint, @sha, @size, @metadata, @updated)",
                [.. parameters, ("version", added)]);
            await row.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }
        else
        {
            // Same content again: the same version, with the description given now.
            await using var same = Command(connection, transaction,
                "UPDATE images SET description = @description, updated_at_ms = @updated WHERE tenant_id = @tenant AND name = @name", parameters);
            await same.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }

        ImageRecord stored;
        await using (var read = Command(connection, transaction, $"SELECT {ImageColumns} FROM images WHERE tenant_id = @tenant AND name = @name", parameters))
        await using (var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            stored = await reader.ReadAsync(token).ConfigureAwait(false) ? ReadImage(reader) : throw new InvalidOperationException("The image row vanished after it was written.");
        }

        await transaction.CommitAsync(token).ConfigureAwait(false);
        return stored;
    }, cancellationToken);

    public Task<ImageRecord?> GetImageVersionAsync(string imageId, int version, CancellationToken cancellationToken) => Run("get image version", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"SELECT {ImageVersionColumns} FROM images i JOIN image_versions v ON v.image_id = i.image_id WHERE i.image_id = @id AND v.version = @version",
            ("id", imageId), ("version", version));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false) ? ReadImage(reader) : null;
    }, cancellationToken);

    public Task<IReadOnlyList<ImageRecord>> ListImageVersionsAsync(string imageId, CancellationToken cancellationToken) => Run("list image versions", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"SELECT {ImageVersionColumns} FROM images i JOIN image_versions v ON v.image_id = i.image_id WHERE i.image_id = @id ORDER BY v.version DESC",
            ("id", imageId));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        var versions = new List<ImageRecord>();
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            versions.Add(ReadImage(reader));
        }

        return (IReadOnlyList<ImageRecord>)versions;
    }, cancellationToken);

    public Task<bool> DeleteImageVersionAsync(string imageId, int version, CancellationToken cancellationToken) => Run("delete image version", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        await using (var delete = Command(connection, transaction, "DELETE FROM image_versions WHERE image_id = @id AND version = @version", ("id", imageId), ("version", version)))
        {
            if (await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        (string, object?)[]? newest = null;
        await using (var read = Command(connection, transaction,
            $"SELECT version, {VersionContentColumns} FROM image_versions WHERE image_id = @id ORDER BY version DESC LIMIT 1", ("id", imageId)))
        await using (var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                newest =
                [
                    ("id", imageId), ("version", reader.GetInt32(0)), ("runner", reader.GetString(1)), ("format", reader.GetString(2)), ("entrypoint", reader.GetString(3)),
                    ("sha", reader.GetString(4)), ("size", reader.GetInt64(5)), ("metadata", NullableString(reader, 6)),
                ];
            }
        }

        // The image row follows its newest remaining version; with none left the image is gone.
        await using (var follow = newest is null
            ? Command(connection, transaction, "DELETE FROM images WHERE image_id = @id", ("id", imageId))
            : Command(connection, transaction,
                "UPDATE images SET version = @version, runner_type = @runner, format = @format, entrypoint = @entrypoint, sha256 = @sha, size_bytes = @size, metadata = @metadata " +
                "WHERE image_id = @id AND version > @version", newest))
        {
            await follow.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }

        await transaction.CommitAsync(token).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<ImageRecord?> GetImageAsync(string imageId, CancellationToken cancellationToken) => Run("get image", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {ImageColumns} FROM images WHERE image_id = @id", ("id", imageId));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false) ? ReadImage(reader) : null;
    }, cancellationToken);

    public Task<Page<ImageRecord>> ListImagesAsync(string? tenantId, int limit, int offset, CancellationToken cancellationToken) => Run("list images", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        var where = tenantId is null ? string.Empty : " WHERE tenant_id = @tenant";
        long total;
        await using (var count = Command(connection, null, "SELECT COUNT(*) FROM images" + where, ("tenant", tenantId)))
        {
            total = Convert.ToInt64(await count.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        var items = new List<ImageRecord>();
        await using var command = Command(connection, null, $"SELECT {ImageColumns} FROM images{where} ORDER BY created_at_ms DESC, image_id LIMIT @limit OFFSET @offset",
            ("tenant", tenantId), ("limit", limit), ("offset", offset));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            items.Add(ReadImage(reader));
        }

        return new Page<ImageRecord>(items, total);
    }, cancellationToken);

    public Task<bool> DeleteImageAsync(string imageId, CancellationToken cancellationToken) => Run("delete image", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        await using (var versions = Command(connection, transaction, "DELETE FROM image_versions WHERE image_id = @id", ("id", imageId)))
        {
            await versions.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }

        await using var command = Command(connection, transaction, "DELETE FROM images WHERE image_id = @id", ("id", imageId));
        var deleted = await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0;
        await transaction.CommitAsync(token).ConfigureAwait(false);
        return deleted;
    }, cancellationToken);

    public Task<int> CountImagesWithContentAsync(string sha256, CancellationToken cancellationToken) =>
        ScalarAsync("count image content", "SELECT COUNT(*) FROM image_versions WHERE sha256 = @sha", cancellationToken, ("sha", sha256));

    public Task<int> CountActiveRunsOfImageVersionAsync(string imageId, int version, CancellationToken cancellationToken) =>
        ScalarAsync("count image version runs", "SELECT COUNT(*) FROM runs WHERE image_id = @id AND image_version = @version AND status IN ('pending', 'running', 'suspended')",
            cancellationToken, ("id", imageId), ("version", version));

    public Task<int> CountActiveRunsOfImageAsync(string imageId, CancellationToken cancellationToken) =>
        ScalarAsync("count image runs", "SELECT COUNT(*) FROM runs WHERE image_id = @id AND status IN ('pending', 'running', 'suspended')", cancellationToken, ("id", imageId));

    public Task<int> CountActiveRunsOfTenantAsync(string tenantId, CancellationToken cancellationToken) =>
        ScalarAsync("count tenant runs", "SELECT COUNT(*) FROM runs WHERE tenant_id = @tenant AND status IN ('pending', 'running')", cancellationToken, ("tenant", tenantId));

    public Task<bool> TryInsertRunAsync(RunRecord run, CancellationToken cancellationToken) => Run("insert run", async token =>
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"INSERT INTO runs ({RunColumns}) VALUES ({string.Join(", ", RunParameters(run).Select(p => "@" + p.Name))}) ON CONFLICT (instance_id) DO NOTHING",
            RunParameters(run));
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 1;
    }, cancellationToken);

    public Task<RunRecord?> GetRunAsync(string instanceId, CancellationToken cancellationToken) => Run("get run", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {RunColumns} FROM runs WHERE instance_id = @id", ("id", instanceId));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false) ? ReadRun(reader) : null;
    }, cancellationToken);

    public Task<bool> UpdateRunAsync(RunRecord run, CancellationToken cancellationToken) => Run("update run", async token =>
    {
        ArgumentNullException.ThrowIfNull(run);
        var parameters = RunParameters(run);
        var sets = string.Join(", ", parameters.Where(p => p.Name != "instance_id").Select(p => $"{p.Name} = @{p.Name}"));
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        // A process of a lost run, or a writer that read the run before a takeover, must not overwrite its new owner's state.
        await using var command = Command(connection, null,
            $"UPDATE runs SET {sets} WHERE instance_id = @instance_id AND (owner_id IS NULL OR owner_id = @owner_id OR NOT {LeasedStatuses})", parameters);
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 1;
    }, cancellationToken);

    public Task DeleteRunAsync(string instanceId, CancellationToken cancellationToken) => Run("delete run", async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM runs WHERE instance_id = @id", ("id", instanceId));
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<Page<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken) => Run("list runs", async token =>
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder(" WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        void Filter(string clause, string name, object? value)
        {
            where.Append(" AND ").Append(clause);
            parameters.Add((name, value));
        }

        if (query.TenantId is not null)
        {
            Filter("tenant_id = @tenant", "tenant", query.TenantId);
        }

        if (query.Status is { } status)
        {
            Filter("status = @status", "status", status.ToStorage());
        }

        if (!string.IsNullOrEmpty(query.ImageId))
        {
            Filter("image_id = @image", "image", query.ImageId);
        }

        if (!string.IsNullOrEmpty(query.ImageNamePrefix))
        {
            // A literal prefix (no LIKE wildcards to escape), case-sensitive in both databases.
            Filter("substr(image_name, 1, @prefix_length) = @prefix", "prefix", query.ImageNamePrefix);
            parameters.Add(("prefix_length", query.ImageNamePrefix.Length));
        }

        if (query.CreatedAfterMs is { } createdAfter)
        {
            Filter("created_at_ms >= @created_after", "created_after", createdAfter);
        }

        if (query.CreatedBeforeMs is { } createdBefore)
        {
            Filter("created_at_ms < @created_before", "created_before", createdBefore);
        }

        if (query.FinishedAfterMs is { } finishedAfter)
        {
            Filter("finished_at_ms >= @finished_after", "finished_after", finishedAfter);
        }

        if (query.FinishedBeforeMs is { } finishedBefore)
        {
            Filter("finished_at_ms < @finished_before", "finished_before", finishedBefore);
        }

        var order = query.Order switch
        {
            RunOrder.CreatedAtAsc => "created_at_ms ASC, instance_id ASC",
            RunOrder.FinishedAtDesc => "finished_at_ms DESC NULLS LAST, created_at_ms DESC, instance_id DESC",
            RunOrder.FinishedAtAsc => "finished_at_ms ASC NULLS LAST, created_at_ms ASC, instance_id ASC",
            _ => "created_at_ms DESC, instance_id DESC",
        };

        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        long total;
        await using (var count = Command(connection, null, "SELECT COUNT(*) FROM runs" + where, [.. parameters]))
        {
            total = Convert.ToInt64(await count.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        parameters.Add(("limit", query.Limit));
        parameters.Add(("offset", query.Offset));
        var items = new List<RunRecord>();
        await using var command = Command(connection, null, $"SELECT {RunColumns} FROM runs{where} ORDER BY {order} LIMIT @limit OFFSET @offset", [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            items.Add(ReadRun(reader));
        }

        return new Page<RunRecord>(items, total);
    }, cancellationToken);

    public Task<IReadOnlyList<RunRecord>> ListRunsByStatusAsync(IReadOnlyCollection<RunStatus> statuses, CancellationToken cancellationToken) =>
        ListRunsWhereAsync("list runs by status", statuses, null, default, cancellationToken);

    /// <summary>Runs in one of <paramref name="statuses"/> that also match <paramref name="filter"/> (with its one parameter), oldest first.</summary>
    private Task<IReadOnlyList<RunRecord>> ListRunsWhereAsync(
        string operation, IReadOnlyCollection<RunStatus> statuses, string? filter, (string, object?) filterParameter, CancellationToken cancellationToken) => Run(operation, async token =>
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var items = new List<RunRecord>();
        if (statuses.Count == 0)
        {
            return (IReadOnlyList<RunRecord>)items;
        }

        var names = statuses.Select((s, i) => ($"s{i}", (object?)s.ToStorage())).ToArray();
        var where = $"status IN ({string.Join(", ", names.Select(n => "@" + n.Item1))})" + (filter is null ? string.Empty : $" AND {filter}");
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {RunColumns} FROM runs WHERE {where} ORDER BY created_at_ms", filter is null ? names : [.. names, filterParameter]);
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            items.Add(ReadRun(reader));
        }

        return items;
    }, cancellationToken);

    public Task<IReadOnlyDictionary<RunStatus, long>> CountRunsByStatusAsync(CancellationToken cancellationToken) => Run("count runs", async token =>
    {
        var counts = new Dictionary<RunStatus, long>();
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT status, COUNT(*) FROM runs GROUP BY status");
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            counts[RunStatusNames.FromStorage(reader.GetString(0))] = reader.GetInt64(1);
        }

        return (IReadOnlyDictionary<RunStatus, long>)counts;
    }, cancellationToken);

    public Task<IReadOnlyList<RunMetricsBucket>> AggregateFinishedRunsAsync(string tenantId, long startMs, long endMs, long bucketMs, CancellationToken cancellationToken) => Run("aggregate tenant metrics", async token =>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketMs);
        // Grouped in SQL so the answer stays small whatever the tenant ran; epoch milliseconds have no leap seconds,
        // so truncation to the UTC hour or day is a plain modulo (finished_at >= start >= 0 here). CAST to DOUBLE
        // PRECISION: PostgreSQL's AVG over BIGINT is NUMERIC, SQLite reads the type name as REAL.
        const string sql =
            "SELECT bucket, COUNT(*), " +
            "SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), " +
            "AVG(CAST(duration AS DOUBLE PRECISION)), MIN(duration), MAX(duration), AVG(CAST(memory_peak_bytes AS DOUBLE PRECISION)), MAX(memory_peak_bytes) " +
            "FROM (SELECT finished_at_ms - (finished_at_ms % @bucket) AS bucket, status, finished_at_ms - started_at_ms AS duration, memory_peak_bytes FROM runs " +
            "WHERE tenant_id = @tenant AND status IN ('completed', 'failed', 'cancelled') AND finished_at_ms >= @start AND finished_at_ms < @end) finished " +
            "GROUP BY bucket ORDER BY bucket";
        var buckets = new List<RunMetricsBucket>();
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, sql, ("tenant", tenantId), ("start", startMs), ("end", endMs), ("bucket", bucketMs));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            buckets.Add(new RunMetricsBucket(
                Long(reader, 0), Long(reader, 1), Long(reader, 2), Long(reader, 3), Long(reader, 4),
                NullableDouble(reader, 5), NullableDouble(reader, 6), NullableDouble(reader, 7), NullableDouble(reader, 8),
                reader.IsDBNull(9) ? null : Long(reader, 9)));
        }

        return (IReadOnlyList<RunMetricsBucket>)buckets;
    }, cancellationToken);

    /// <summary>Statuses counted as "in use" by an image.</summary>
    public static IReadOnlyCollection<RunStatus> Active => ActiveStatuses;

    private Task<int> ScalarAsync(string operation, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters) => Run(operation, async token =>
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, sql, parameters);
        return (int)Convert.ToInt64(await command.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }, cancellationToken);

    private static async Task<T> Run<T>(string operation, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw new EnvironmentStorageException(operation, ex);
        }
    }

    /// <summary>A command with named parameters; null values become DBNull.</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            if (!sql.Contains("@" + name, StringComparison.Ordinal))
            {
                continue;
            }

            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            // An untyped NULL: both providers let the database infer its type from the column.
            parameter.Value = value ?? DBNull.Value;

            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static (string Name, object? Value)[] RunParameters(RunRecord run) =>
    [
        ("instance_id", run.InstanceId), ("tenant_id", run.TenantId), ("image_id", run.ImageId), ("image_name", run.ImageName),
        ("status", run.Status.ToStorage()), ("input", run.Input), ("env", run.Env), ("timeout_seconds", run.TimeoutSeconds),
        ("created_at_ms", run.CreatedAtMs), ("started_at_ms", run.StartedAtMs), ("finished_at_ms", run.FinishedAtMs), ("pid", run.Pid),
        ("process_start_ticks", run.ProcessStartTicks), ("exit_code", run.ExitCode), ("error", run.Error), ("stderr_tail", run.StderrTail),
        ("memory_peak_bytes", run.MemoryPeakBytes), ("cpu_usage_usec", run.CpuUsageUsec), ("retry_count", run.RetryCount),
        ("max_retries", run.MaxRetries), ("launch_count", run.LaunchCount), ("checkpoint_id", run.CheckpointId), ("updated_at_ms", run.UpdatedAtMs),
        ("trace_parent", run.TraceParent), ("image_version", run.ImageVersion), ("origin", run.Origin), ("owner_id", run.OwnerId),
        ("lease_until_ms", run.LeaseUntilMs),
    ];

    private static ImageRecord ReadImage(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), NullableString(r, 3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7),
        r.GetInt64(8), NullableString(r, 9), r.GetInt64(10), r.GetInt64(11))
    {
        Version = r.GetInt32(12),
    };

    private static RunRecord ReadRun(DbDataReader r) => new()
    {
        InstanceId = r.GetString(0),
        TenantId = r.GetString(1),
        ImageId = r.GetString(2),
        ImageName = r.GetString(3),
        Status = RunStatusNames.FromStorage(r.GetString(4)),
        Input = r.IsDBNull(5) ? null : (byte[])r.GetValue(5),
        Env = NullableString(r, 6),
        TimeoutSeconds = r.GetInt32(7),
        CreatedAtMs = r.GetInt64(8),
        StartedAtMs = NullableLong(r, 9),
        FinishedAtMs = NullableLong(r, 10),
        Pid = r.IsDBNull(11) ? null : r.GetInt32(11),
        ProcessStartTicks = NullableLong(r, 12),
        ExitCode = r.IsDBNull(13) ? null : r.GetInt32(13),
        Error = NullableString(r, 14),
        StderrTail = NullableString(r, 15),
        MemoryPeakBytes = NullableLong(r, 16),
        CpuUsageUsec = NullableLong(r, 17),
        RetryCount = r.GetInt32(18),
        MaxRetries = r.GetInt32(19),
        LaunchCount = r.GetInt32(20),
        CheckpointId = NullableString(r, 21),
        UpdatedAtMs = r.GetInt64(22),
        TraceParent = NullableString(r, 23),
        ImageVersion = r.GetInt32(24),
        Origin = NullableString(r, 25),
        OwnerId = NullableString(r, 26),
        LeaseUntilMs = NullableLong(r, 27),
    };

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long? NullableLong(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    // Aggregates come back as INTEGER/REAL (SQLite) or BIGINT/NUMERIC/DOUBLE (PostgreSQL): convert, do not cast.
    private static long Long(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    private static double? NullableDouble(DbDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
}

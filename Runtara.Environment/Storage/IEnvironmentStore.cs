namespace Runtara.Environment.Storage;

/// <summary>
/// The environment's own store (images and runs). Two implementations with the same behaviour:
/// SQLite (default, <c>&lt;data&gt;/environment.db</c>) and PostgreSQL. Never the core's tables.
/// </summary>
public interface IEnvironmentStore
{
    /// <summary>Applies pending migrations (versioned, each in its own transaction).</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>True when the database answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Registers content under a name: a new image (version 1), or when the tenant already has one of
    /// that name, its next version when the content (sha256, format, entrypoint, runner, metadata)
    /// differs, else the same version with the new description. The image keeps its id (1.4.1 rewrote
    /// the primary key, SPEC §19.16) and its row describes the newest version. Returns that version.
    /// </summary>
    Task<ImageRecord> RegisterImageAsync(ImageRecord image, CancellationToken cancellationToken);

    /// <summary>The image as its newest version.</summary>
    Task<ImageRecord?> GetImageAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>The image as one of its versions; null when the image or that version does not exist.</summary>
    Task<ImageRecord?> GetImageVersionAsync(string imageId, int version, CancellationToken cancellationToken);

    /// <summary>Every version of the image, newest first.</summary>
    Task<IReadOnlyList<ImageRecord>> ListImageVersionsAsync(string imageId, CancellationToken cancellationToken);

    Task<Page<ImageRecord>> ListImagesAsync(string? tenantId, int limit, int offset, CancellationToken cancellationToken);

    /// <summary>Deletes the image and all its versions; false when it did not exist.</summary>
    Task<bool> DeleteImageAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes one version; when it was the newest, the image falls back to the newest that is left, and
    /// deleting the only version deletes the image. False when the version did not exist.
    /// </summary>
    Task<bool> DeleteImageVersionAsync(string imageId, int version, CancellationToken cancellationToken);

    /// <summary>How many image versions point at this content.</summary>
    Task<int> CountImagesWithContentAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>Runs of one version of the image that are pending, running or suspended.</summary>
    Task<int> CountActiveRunsOfImageVersionAsync(string imageId, int version, CancellationToken cancellationToken);

    /// <summary>Runs of the image that are pending, running or suspended.</summary>
    Task<int> CountActiveRunsOfImageAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>Inserts a run; false (and nothing written) when the instance id already exists.</summary>
    Task<bool> TryInsertRunAsync(RunRecord run, CancellationToken cancellationToken);

    Task<RunRecord?> GetRunAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes every column of the run (callers serialise changes per instance), unless another environment
    /// owns it while it is pending or running (its lease is that owner's to keep or lose): then nothing is
    /// written and the result is false. The writer's environment is <paramref name="run"/>'s owner.
    /// </summary>
    Task<bool> UpdateRunAsync(RunRecord run, CancellationToken cancellationToken);

    Task DeleteRunAsync(string instanceId, CancellationToken cancellationToken);

    Task<Page<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken);

    /// <summary>Every run in one of <paramref name="statuses"/> (recovery and monitors).</summary>
    Task<IReadOnlyList<RunRecord>> ListRunsByStatusAsync(IReadOnlyCollection<RunStatus> statuses, CancellationToken cancellationToken);

    /// <summary>Pending or running runs of the tenant (quota).</summary>
    Task<int> CountActiveRunsOfTenantAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Runs by status (metrics, health).</summary>
    Task<IReadOnlyDictionary<RunStatus, long>> CountRunsByStatusAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Terminal runs (completed, failed, cancelled) of the tenant with <paramref name="startMs"/> &lt;= finished_at &lt;
    /// <paramref name="endMs"/>, aggregated per <paramref name="bucketMs"/>-wide UTC bucket of finished_at (GetTenantMetrics);
    /// only buckets that have runs, in time order. Times must not be negative.
    /// </summary>
    Task<IReadOnlyList<RunMetricsBucket>> AggregateFinishedRunsAsync(string tenantId, long startMs, long endMs, long bucketMs, CancellationToken cancellationToken);

    /// <summary>
    /// Retention (docs/operations.md): deletes up to <paramref name="limit"/> completed, failed or cancelled
    /// runs of the pass that finished before its cutoff, oldest first; rows other environments are
    /// purging are skipped (PostgreSQL). Returns what was deleted; run directories are the caller's.
    /// </summary>
    Task<IReadOnlyList<PurgedRun>> PurgeFinishedRunsAsync(Runtara.Data.RetentionPass pass, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Extends to <paramref name="leaseUntilMs"/> the lease of every pending or running run <paramref name="owner"/> owns,
    /// in one statement; returns their ids (docs/environment.md, "Several environments").
    /// </summary>
    Task<IReadOnlyList<string>> RenewRunLeasesAsync(string owner, long leaseUntilMs, CancellationToken cancellationToken);

    /// <summary>
    /// Takes over up to <paramref name="limit"/> pending or running runs whose lease expired before <paramref name="nowMs"/>
    /// (or that have none), whoever owned them: each becomes <paramref name="owner"/>'s until <paramref name="leaseUntilMs"/>.
    /// Of several concurrent claimers exactly one gets a given run. Returns the claimed runs as written.
    /// </summary>
    Task<IReadOnlyList<RunRecord>> ClaimExpiredRunsAsync(string owner, long nowMs, long leaseUntilMs, int limit, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="owner"/> the owner of pending or running runs that have none (recorded before ownership existed); returns how many.</summary>
    Task<int> ClaimUnownedRunsAsync(string owner, long leaseUntilMs, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="owner"/> owns in one of <paramref name="statuses"/> (recovery and monitors act only on these).</summary>
    Task<IReadOnlyList<RunRecord>> ListOwnedRunsAsync(string owner, IReadOnlyCollection<RunStatus> statuses, CancellationToken cancellationToken);

    /// <summary>True when the store keeps image content itself (PostgreSQL), so every environment on it can fetch what it lacks locally.</summary>
    bool HoldsImageContent { get; }

    /// <summary>Stores the content with hash <paramref name="sha256"/> from <paramref name="source"/> in chunks; false when it was already stored.</summary>
    Task<bool> WriteImageContentAsync(string sha256, Stream source, CancellationToken cancellationToken);

    /// <summary>Writes the stored content <paramref name="sha256"/> to <paramref name="destination"/>; false when the store has none.</summary>
    Task<bool> CopyImageContentAsync(string sha256, Stream destination, CancellationToken cancellationToken);

    /// <summary>Deletes the stored content <paramref name="sha256"/> (no image version uses it any more).</summary>
    Task DeleteImageContentAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>Inserts a schedule; false (and nothing written) when the schedule id already exists.</summary>
    Task<bool> TryInsertScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken);

    Task<ScheduleRecord?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken);

    /// <summary>The tenant's schedules by id, with the real total.</summary>
    Task<Page<ScheduleRecord>> ListSchedulesAsync(string tenantId, int limit, int offset, CancellationToken cancellationToken);

    /// <summary>
    /// Writes every column of the schedule and drops any claim on it, so a worker pass under way cannot
    /// write back progress computed from the old definition; false when it no longer exists.
    /// </summary>
    Task<bool> UpdateScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken);

    /// <summary>Deletes the schedule; false when it did not exist.</summary>
    Task<bool> DeleteScheduleAsync(string scheduleId, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> unpaused schedules that are due at <paramref name="nowMs"/> (or hold a
    /// buffered fire) and are not claimed by a live lease: each claim is a conditional UPDATE, so of several
    /// environments on one database exactly one gets a given schedule until <paramref name="leaseUntilMs"/>.
    /// </summary>
    Task<IReadOnlyList<ScheduleRecord>> ClaimDueSchedulesAsync(string owner, long nowMs, long leaseUntilMs, int limit, CancellationToken cancellationToken);

    /// <summary>Writes back a claimed schedule's progress and releases the claim; false when the claim was lost (expired, or the schedule changed).</summary>
    Task<bool> CompleteScheduleFireAsync(string owner, ScheduleFireOutcome outcome, CancellationToken cancellationToken);

    /// <summary>Records an instance started outside the worker (trigger now) as the schedule's last one.</summary>
    Task RecordScheduleRunAsync(string scheduleId, long fireAtMs, string instanceId, long nowMs, CancellationToken cancellationToken);
}

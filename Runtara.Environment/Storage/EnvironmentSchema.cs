using Runtara.Data;

namespace Runtara.Environment.Storage;

/// <summary>The environment's schema, version by version (never edit an applied step; add a new one).</summary>
internal static class EnvironmentSchema
{
    /// <summary>Where applied versions are recorded (the table and columns databases already have).</summary>
    public static MigrationHistoryTable History { get; } = new("environment_migrations", AppliedAtColumn: "applied_at_ms");

    /// <summary>
    /// Version 1 in the dialect-neutral subset both databases accept; <paramref name="blob"/> is the
    /// binary column type (BLOB / BYTEA). Times are Unix milliseconds (BIGINT) in both stores.
    /// </summary>
    public static IReadOnlyList<Migration> Migrations(string blob) =>
    [
        new(1, "images and runs", $"""
            CREATE TABLE images (
                image_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT,
                runner_type TEXT NOT NULL DEFAULT 'oci',
                format TEXT NOT NULL,
                entrypoint TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size_bytes BIGINT NOT NULL,
                metadata TEXT,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                UNIQUE (tenant_id, name)
            );
            CREATE INDEX ix_images_tenant ON images (tenant_id, created_at_ms);
            CREATE INDEX ix_images_sha256 ON images (sha256);
            CREATE TABLE runs (
                instance_id TEXT PRIMARY KEY CHECK (length(instance_id) > 0),
                tenant_id TEXT NOT NULL,
                image_id TEXT NOT NULL,
                image_name TEXT NOT NULL,
                status TEXT NOT NULL,
                input {blob},
                env TEXT,
                timeout_seconds INTEGER NOT NULL,
                created_at_ms BIGINT NOT NULL,
                started_at_ms BIGINT,
                finished_at_ms BIGINT,
                pid INTEGER,
                process_start_ticks BIGINT,
                exit_code INTEGER,
                error TEXT,
                stderr_tail TEXT,
                memory_peak_bytes BIGINT,
                cpu_usage_usec BIGINT,
                retry_count INTEGER NOT NULL DEFAULT 0,
                max_retries INTEGER NOT NULL DEFAULT 0,
                launch_count INTEGER NOT NULL DEFAULT 0,
                checkpoint_id TEXT,
                updated_at_ms BIGINT NOT NULL
            );
            CREATE INDEX ix_runs_tenant ON runs (tenant_id, created_at_ms);
            CREATE INDEX ix_runs_status ON runs (status);
            CREATE INDEX ix_runs_image ON runs (image_id);
            CREATE INDEX ix_runs_created ON runs (created_at_ms);
            """),
        // GetTenantMetrics reads a tenant's runs by finished time.
        new(2, "runs by tenant and finish time", "CREATE INDEX ix_runs_tenant_finished ON runs (tenant_id, finished_at_ms)"),
        // The W3C trace context of the start, so every relaunch (wake, child start) joins the instance's one trace.
        new(3, "runs keep their trace context", "ALTER TABLE runs ADD COLUMN trace_parent TEXT"),
        // Versioned images (docs/operations.md): registering a name again adds a version; the images row
        // mirrors the newest one, and each run is pinned to the version it started on.
        new(4, "image versions", """
            CREATE TABLE image_versions (
                image_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                runner_type TEXT NOT NULL,
                format TEXT NOT NULL,
                entrypoint TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size_bytes BIGINT NOT NULL,
                metadata TEXT,
                created_at_ms BIGINT NOT NULL,
                PRIMARY KEY (image_id, version)
            );
            CREATE INDEX ix_image_versions_sha256 ON image_versions (sha256);
            INSERT INTO image_versions (image_id, version, runner_type, format, entrypoint, sha256, size_bytes, metadata, created_at_ms)
                SELECT image_id, 1, runner_type, format, entrypoint, sha256, size_bytes, metadata, updated_at_ms FROM images;
            ALTER TABLE images ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
            ALTER TABLE images ADD COLUMN versions_issued INTEGER NOT NULL DEFAULT 1;
            ALTER TABLE runs ADD COLUMN image_version INTEGER NOT NULL DEFAULT 1;
            CREATE INDEX ix_runs_image_version ON runs (image_id, image_version);
            """),
        // A re-run or fork says where it came from (docs/operations.md, "Re-run and fork").
        new(5, "runs remember their origin", "ALTER TABLE runs ADD COLUMN origin TEXT"),
        // Schedules (docs/operations.md): next_fire_at_ms is persisted so fires survive restarts; a worker claims a
        // due schedule by setting lease_owner/lease_until_ms with a conditional UPDATE, so two environments on one
        // database fire it once. Booleans are 0/1 INTEGERs, the subset both databases share.
        new(6, "schedules", $"""
            CREATE TABLE schedules (
                schedule_id TEXT PRIMARY KEY CHECK (length(schedule_id) > 0),
                tenant_id TEXT NOT NULL,
                image_id TEXT NOT NULL,
                cron TEXT,
                time_zone TEXT NOT NULL DEFAULT '',
                interval_ms BIGINT,
                input {blob} NOT NULL,
                overlap TEXT NOT NULL,
                catch_up TEXT NOT NULL,
                catch_up_limit INTEGER NOT NULL DEFAULT 1,
                paused INTEGER NOT NULL DEFAULT 0,
                next_fire_at_ms BIGINT,
                last_fire_at_ms BIGINT,
                last_instance_id TEXT,
                buffered_fire_at_ms BIGINT,
                lease_owner TEXT,
                lease_until_ms BIGINT,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL
            );
            CREATE INDEX ix_schedules_tenant ON schedules (tenant_id, schedule_id);
            CREATE INDEX ix_schedules_due ON schedules (paused, next_fire_at_ms);
            """),
        // Several environments on one database (docs/environment.md, "Several environments"): each run records the
        // environment that launched it and a lease that environment renews while the run is pending or running; a
        // run whose lease expired is taken over by another. The index serves the takeover query.
        new(7, "run ownership", """
            ALTER TABLE runs ADD COLUMN owner_id TEXT;
            ALTER TABLE runs ADD COLUMN lease_until_ms BIGINT;
            CREATE INDEX ix_runs_lease ON runs (status, lease_until_ms);
            CREATE INDEX ix_runs_owner ON runs (owner_id, status);
            """),
        // Image content in the database, in chunks (PostgreSQL only writes them): every environment on the
        // database fetches what it lacks into its local <data>/images cache, so no shared volume is needed.
        new(8, "image content chunks", $"""
            CREATE TABLE image_chunks (
                sha256 TEXT NOT NULL,
                seq INTEGER NOT NULL,
                bytes {blob} NOT NULL,
                PRIMARY KEY (sha256, seq)
            );
            """),
    ];
}

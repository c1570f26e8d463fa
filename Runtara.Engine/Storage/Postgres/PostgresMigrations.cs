using Microsoft.Extensions.Logging;
using Runtara.Data;

namespace Runtara.Engine.Storage.Postgres;

/// <summary>The PostgreSQL schema, version by version. Never edit an applied step; add a new one.</summary>
internal static class PostgresMigrations
{
    /// <summary>Where applied versions are recorded (the table and columns databases already have).</summary>
    public static MigrationHistoryTable History { get; } = new("schema_migrations", AppliedAtColumn: "applied_at");

    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "initial_schema", """
            CREATE TABLE instances (
                instance_id      TEXT PRIMARY KEY CHECK (length(instance_id) > 0),
                tenant_id        TEXT NOT NULL,
                status           TEXT NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'running', 'suspended', 'completed', 'failed', 'cancelled')),
                checkpoint_id    TEXT,
                created_at       BIGINT NOT NULL,
                started_at       BIGINT,
                finished_at      BIGINT,
                last_activity_at BIGINT,
                sleep_until      BIGINT,
                wake_lease_until BIGINT,
                output           BYTEA,
                error            TEXT
            );
            CREATE INDEX ix_instances_tenant ON instances (tenant_id);
            CREATE INDEX ix_instances_status ON instances (status);
            CREATE INDEX ix_instances_created ON instances (created_at);
            CREATE INDEX ix_instances_due ON instances (sleep_until) WHERE status = 'suspended' AND sleep_until IS NOT NULL;

            CREATE TABLE checkpoints (
                id            BIGSERIAL PRIMARY KEY,
                instance_id   TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id TEXT NOT NULL,
                state         BYTEA NOT NULL,
                created_at    BIGINT NOT NULL,
                UNIQUE (instance_id, checkpoint_id)
            );
            CREATE INDEX ix_checkpoints_created ON checkpoints (instance_id, created_at);

            CREATE TABLE pending_signals (
                instance_id     TEXT PRIMARY KEY REFERENCES instances (instance_id) ON DELETE CASCADE,
                signal_type     TEXT NOT NULL CHECK (signal_type IN ('cancel', 'pause', 'resume')),
                payload         BYTEA,
                created_at      BIGINT NOT NULL,
                acknowledged_at BIGINT
            );

            CREATE TABLE pending_custom_signals (
                instance_id   TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id TEXT NOT NULL,
                payload       BYTEA,
                created_at    BIGINT NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id)
            );

            CREATE TABLE instance_events (
                id               BIGSERIAL PRIMARY KEY,
                instance_id      TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                event_type       TEXT NOT NULL
                                 CHECK (event_type IN ('started', 'progress', 'completed', 'failed', 'suspended', 'heartbeat', 'custom')),
                checkpoint_id    TEXT,
                payload          BYTEA,
                subtype          TEXT,
                created_at       BIGINT NOT NULL,
                client_timestamp BIGINT
            );
            CREATE INDEX ix_events_instance ON instance_events (instance_id, created_at);
            CREATE INDEX ix_events_subtype ON instance_events (instance_id, subtype) WHERE subtype IS NOT NULL;

            CREATE TABLE instance_sleeps (
                instance_id   TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id TEXT NOT NULL,
                wake_at       BIGINT NOT NULL,
                created_at    BIGINT NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id)
            );

            CREATE TABLE retry_attempts (
                instance_id    TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id  TEXT NOT NULL,
                attempt_number BIGINT NOT NULL,
                error_message  TEXT,
                created_at     BIGINT NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id, attempt_number)
            );
            """),

        // Durable waits and child instances (docs/protocol.md "Durable waits", "Child instances").
        new(2, "durable_waits_and_children", """
            ALTER TABLE instances ADD COLUMN waiting_for TEXT;

            CREATE TABLE instance_children (
                child_id          TEXT PRIMARY KEY REFERENCES instances (instance_id) ON DELETE CASCADE,
                parent_id         TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                child_key         TEXT NOT NULL,
                image             TEXT NOT NULL,
                input             BYTEA,
                detached          BIGINT NOT NULL DEFAULT 0,
                start_lease_until BIGINT,
                created_at        BIGINT NOT NULL,
                UNIQUE (parent_id, child_key)
            );
            """),

        // Retention (docs/operations.md): the purge finds finished instances by finish time.
        new(3, "instances_by_finish_time", "CREATE INDEX ix_instances_finished ON instances (finished_at) WHERE status IN ('completed', 'failed', 'cancelled');"),

        // Fencing (docs/protocol.md "Incarnations"): every registration counts up, and writes
        // presenting an older count are refused, so a relaunched instance's old process cannot write.
        new(4, "instance_incarnation", "ALTER TABLE instances ADD COLUMN incarnation BIGINT NOT NULL DEFAULT 0;"),
    ];

    /// <summary>The runner of these migrations, logging through the store's logger.</summary>
    public static MigrationRunner Runner(ILogger logger) => new(MigrationDialect.PostgreSql, History, All, logger);
}

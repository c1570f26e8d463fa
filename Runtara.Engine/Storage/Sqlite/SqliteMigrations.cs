using Microsoft.Extensions.Logging;
using Runtara.Data;

namespace Runtara.Engine.Storage.Sqlite;

/// <summary>The SQLite schema, version by version. Never edit an applied step; add a new one.</summary>
internal static class SqliteMigrations
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
                created_at       INTEGER NOT NULL,
                started_at       INTEGER,
                finished_at      INTEGER,
                last_activity_at INTEGER,
                sleep_until      INTEGER,
                wake_lease_until INTEGER,
                output           BLOB,
                error            TEXT
            ) STRICT;
            CREATE INDEX ix_instances_tenant ON instances (tenant_id);
            CREATE INDEX ix_instances_status ON instances (status);
            CREATE INDEX ix_instances_created ON instances (created_at);
            CREATE INDEX ix_instances_due ON instances (sleep_until) WHERE status = 'suspended' AND sleep_until IS NOT NULL;

            CREATE TABLE checkpoints (
                id            INTEGER PRIMARY KEY,
                instance_id   TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id TEXT NOT NULL,
                state         BLOB NOT NULL,
                created_at    INTEGER NOT NULL,
                UNIQUE (instance_id, checkpoint_id)
            ) STRICT;
            CREATE INDEX ix_checkpoints_created ON checkpoints (instance_id, created_at);

            CREATE TABLE pending_signals (
                instance_id     TEXT PRIMARY KEY REFERENCES instances (instance_id) ON DELETE CASCADE,
                signal_type     TEXT NOT NULL CHECK (signal_type IN ('cancel', 'pause', 'resume')),
                payload         BLOB,
                created_at      INTEGER NOT NULL,
                acknowledged_at INTEGER
            ) STRICT;

            CREATE TABLE pending_custom_signals (
                instance_id   TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id TEXT NOT NULL,
                payload       BLOB,
                created_at    INTEGER NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id)
            ) STRICT;

            CREATE TABLE instance_events (
                id               INTEGER PRIMARY KEY,
                instance_id      TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                event_type       TEXT NOT NULL
                                 CHECK (event_type IN ('started', 'progress', 'completed', 'failed', 'suspended', 'heartbeat', 'custom')),
                checkpoint_id    TEXT,
                payload          BLOB,
                subtype          TEXT,
                created_at       INTEGER NOT NULL,
                client_timestamp INTEGER
            ) STRICT;
            CREATE INDEX ix_events_instance ON instance_events (instance_id, created_at);
            CREATE INDEX ix_events_subtype ON instance_events (instance_id, subtype) WHERE subtype IS NOT NULL;

            CREATE TABLE instance_sleeps (
                instance_id   TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id TEXT NOT NULL,
                wake_at       INTEGER NOT NULL,
                created_at    INTEGER NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id)
            ) STRICT;

            CREATE TABLE retry_attempts (
                instance_id    TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                checkpoint_id  TEXT NOT NULL,
                attempt_number INTEGER NOT NULL,
                error_message  TEXT,
                created_at     INTEGER NOT NULL,
                PRIMARY KEY (instance_id, checkpoint_id, attempt_number)
            ) STRICT;
            """),

        // The checkpoint insert is the hot path and each index costs it one more dirty page per
        // commit (with many instances checkpointing at once, each insert lands on a different leaf),
        // i.e. one more WAL frame to write and fsync. ListCheckpoints finds an instance's rows through
        // UNIQUE (instance_id, checkpoint_id) and sorts them by created_at instead.
        new(2, "drop_checkpoints_created_index", "DROP INDEX IF EXISTS ix_checkpoints_created;"),

        // Durable waits and child instances (docs/protocol.md "Durable waits", "Child instances"):
        // what a suspended instance waits for, and which instance started which child of which image.
        new(3, "durable_waits_and_children", """
            ALTER TABLE instances ADD COLUMN waiting_for TEXT;

            CREATE TABLE instance_children (
                child_id          TEXT PRIMARY KEY REFERENCES instances (instance_id) ON DELETE CASCADE,
                parent_id         TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
                child_key         TEXT NOT NULL,
                image             TEXT NOT NULL,
                input             BLOB,
                detached          INTEGER NOT NULL DEFAULT 0,
                start_lease_until INTEGER,
                created_at        INTEGER NOT NULL,
                UNIQUE (parent_id, child_key)
            ) STRICT;
            """),

        // Retention (docs/operations.md): the purge finds finished instances by finish time.
        new(4, "instances_by_finish_time", "CREATE INDEX ix_instances_finished ON instances (finished_at) WHERE status IN ('completed', 'failed', 'cancelled');"),

        // Fencing (docs/protocol.md "Incarnations"): every registration counts up, and writes
        // presenting an older count are refused, so a relaunched instance's old process cannot write.
        new(5, "instance_incarnation", "ALTER TABLE instances ADD COLUMN incarnation INTEGER NOT NULL DEFAULT 0;"),
    ];

    /// <summary>The runner of these migrations, logging through the store's logger.</summary>
    public static MigrationRunner Runner(ILogger logger) => new(MigrationDialect.Sqlite, History, All, logger);
}

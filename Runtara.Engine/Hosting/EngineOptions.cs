using System.ComponentModel.DataAnnotations;
using Runtara.Protocol.Hosting;

namespace Runtara.Engine.Hosting;

/// <summary>
/// Settings of the engine: where instances are stored and the limits of the instance rules. The
/// core binds them from its own section, <c>Runtara:Core</c>, beside its server settings, so every
/// key keeps its name (<c>Runtara:Core:MaxCheckpointSize</c>, …); the embedded backend sets them in code.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>SQLite database file; used when <see cref="PostgresConnectionString"/> is empty. The core sets <c>&lt;data&gt;/core.db</c>.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>PostgreSQL connection string; empty = SQLite at <see cref="DatabasePath"/>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Largest checkpoint state accepted, in bytes (default 16 MiB).</summary>
    [Range(1, 60 * 1024 * 1024)]
    public int MaxCheckpointSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest event payload accepted, in bytes (default 4 MiB).</summary>
    [Range(1, 60 * 1024 * 1024)]
    public int MaxEventPayloadSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Sleeps shorter than this are waited inside the Sleep call (status stays RUNNING); longer ones suspend the instance durably.</summary>
    [NotNegativeDuration]
    public TimeSpan InProcessSleepThreshold { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When true, RegisterInstance creates unknown instances (SPEC T2); false requires CreateInstance first.</summary>
    public bool AllowSelfRegistration { get; set; } = true;

    /// <summary>Reads from an instance (poll, status, get checkpoint) stamp its last activity at most this often.</summary>
    [NotNegativeDuration]
    public TimeSpan ActivityWriteInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most operations committed in one storage transaction.</summary>
    [Range(1, 10_000)]
    public int MaxWriteBatchSize { get; set; } = 512;

    /// <summary>
    /// PostgreSQL: group-commit writers running side by side, each on its own connection (row locks
    /// keep them correct); more hide the network round trips of one. SQLite always has one writer.
    /// </summary>
    [Range(1, 64)]
    public int PostgresWriters { get; set; } = 4;

    /// <summary>Writes waiting for the writer before callers are held back.</summary>
    [Range(1, 1_000_000)]
    public int WriteQueueCapacity { get; set; } = 20_000;

    /// <summary>
    /// A long-polling ListDueWakeups looks at the database at least this often while it waits: changes
    /// this core makes wake it at once, and so do other cores' on a shared PostgreSQL database (NOTIFY);
    /// this is the backstop for what no pulse announces (a sleep's time coming) and for a lost listener.
    /// </summary>
    [NotNegativeDuration]
    public TimeSpan DueWorkRecheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest page a list query returns (limit 0 means 100).</summary>
    [Range(1, 100_000)]
    public int MaxListLimit { get; set; } = 1_000;

    /// <summary>
    /// Byte budget of one list answer (default 4 MiB, well below the 64 MiB frame limit): a page ends
    /// early once its items would exceed it and says where the next one starts (<c>next_offset</c>).
    /// An item larger than the budget is still returned, alone.
    /// </summary>
    [Range(64 * 1024, 32 * 1024 * 1024)]
    public int MaxListAnswerBytes { get; set; } = 4 * 1024 * 1024;
}

namespace Runtara.Data;

/// <summary>
/// Where applied migrations are recorded: <c>(version INTEGER PRIMARY KEY, name TEXT NOT NULL,
/// &lt;AppliedAtColumn&gt; BIGINT NOT NULL, checksum TEXT)</c>, the applied time in Unix milliseconds.
/// Each store keeps the names its databases already have (the core: <c>schema_migrations.applied_at</c>;
/// the environment: <c>environment_migrations.applied_at_ms</c>); the checksum column is added to an
/// older table on first run.
/// </summary>
/// <param name="Name">Unquoted table name (letters, digits, underscores).</param>
/// <param name="AppliedAtColumn">Unquoted name of the applied-time column.</param>
public sealed record MigrationHistoryTable(string Name, string AppliedAtColumn = "applied_at")
{
    internal void Validate()
    {
        if (!IsIdentifier(Name))
        {
            throw new ArgumentException($"The history table name '{Name}' is not a plain SQL identifier (letters, digits, underscores).", nameof(Name));
        }

        if (!IsIdentifier(AppliedAtColumn))
        {
            throw new ArgumentException($"The applied-time column name '{AppliedAtColumn}' is not a plain SQL identifier (letters, digits, underscores).", nameof(AppliedAtColumn));
        }
    }

    // The names are spliced into SQL text (identifiers cannot be parameters), so only plain ones pass.
    private static bool IsIdentifier(string? name) =>
        !string.IsNullOrEmpty(name)
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

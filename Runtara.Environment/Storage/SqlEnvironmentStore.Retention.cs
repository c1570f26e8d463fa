using System.Text;
using Runtara.Data;

namespace Runtara.Environment.Storage;

/// <summary>Retention of runs (docs/operations.md "Retention").</summary>
public abstract partial class SqlEnvironmentStore
{
    /// <summary>Appended to the purge's row selection so that environments sharing a database skip each other's rows (PostgreSQL: FOR UPDATE SKIP LOCKED).</summary>
    protected virtual string SkipLockedClause => string.Empty;

    public Task<IReadOnlyList<PurgedRun>> PurgeFinishedRunsAsync(RetentionPass pass, int limit, CancellationToken cancellationToken) => Run("purge finished runs", async token =>
    {
        ArgumentNullException.ThrowIfNull(pass);
        var parameters = new List<(string, object?)> { ("before", pass.FinishedBeforeMs), ("limit", limit) };
        var sql = new StringBuilder(
            "DELETE FROM runs WHERE instance_id IN (SELECT instance_id FROM runs WHERE status IN ('completed', 'failed', 'cancelled') "
            + "AND finished_at_ms IS NOT NULL AND finished_at_ms < @before");
        if (pass.TenantId is not null)
        {
            sql.Append(" AND tenant_id = @tenant");
            parameters.Add(("tenant", pass.TenantId));
        }
        else if (pass.ExceptTenants.Count > 0)
        {
            sql.Append(" AND tenant_id NOT IN (").AppendJoin(", ", pass.ExceptTenants.Select((_, index) => $"@except{index}")).Append(')');
            parameters.AddRange(pass.ExceptTenants.Select((tenant, index) => ($"except{index}", (object?)tenant)));
        }

        sql.Append(" ORDER BY finished_at_ms, instance_id LIMIT @limit").Append(SkipLockedClause).Append(") RETURNING instance_id, tenant_id");
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, sql.ToString(), [.. parameters]);
        var purged = new List<PurgedRun>();
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            purged.Add(new PurgedRun(reader.GetString(0), reader.GetString(1)));
        }

        return (IReadOnlyList<PurgedRun>)purged;
    }, cancellationToken);
}

/// <summary>A run deleted by retention.</summary>
public sealed record PurgedRun(string InstanceId, string TenantId);

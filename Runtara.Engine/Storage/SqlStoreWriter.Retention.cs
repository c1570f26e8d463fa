using System.Data;
using System.Text;
using Runtara.Data;
using static Runtara.Engine.Storage.SqlCoreStore;

namespace Runtara.Engine.Storage;

/// <summary>The writer's retention statements (docs/operations.md "Retention").</summary>
internal sealed partial class SqlStoreWriter
{
    private const string LiveStatuses = "('pending', 'running', 'suspended')";

    /// <summary>An instance with a live parent or a live child is kept: the parent may still replay the child's result, a pending child still has to start.</summary>
    private const string NoLiveRelative =
        "NOT EXISTS (SELECT 1 FROM instance_children c JOIN instances p ON p.instance_id = c.parent_id WHERE c.child_id = i.instance_id AND p.status IN " + LiveStatuses + ") "
        + "AND NOT EXISTS (SELECT 1 FROM instance_children c JOIN instances k ON k.instance_id = c.child_id WHERE c.parent_id = i.instance_id AND k.status IN " + LiveStatuses + ")";

    public async ValueTask<IReadOnlyList<PurgedInstance>> PurgeFinishedInstancesAsync(RetentionPass pass, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        var sql = new StringBuilder(
            "DELETE FROM instances WHERE instance_id IN (SELECT i.instance_id FROM instances i "
            + "WHERE i.status IN ('completed', 'failed', 'cancelled') AND i.finished_at IS NOT NULL AND i.finished_at < @before");
        if (pass.TenantId is not null)
        {
            sql.Append(" AND i.tenant_id = @tenant");
        }
        else if (pass.ExceptTenants.Count > 0)
        {
            sql.Append(" AND i.tenant_id NOT IN (")
                .AppendJoin(", ", Enumerable.Range(0, pass.ExceptTenants.Count).Select(index => $"@except{index}"))
                .Append(')');
        }

        // The claim: on PostgreSQL another core's purge skips the rows this one locked, so no batch is deleted (or counted) twice.
        sql.Append(" AND ").Append(NoLiveRelative).Append(" ORDER BY i.finished_at, i.instance_id LIMIT @limit").Append(store.ClaimClause)
            .Append(") RETURNING instance_id, tenant_id");
        var command = statements.Get(sql.ToString(), _commandTransaction);
        Bind(command, "@before", DbType.Int64, pass.FinishedBeforeMs);
        Bind(command, "@limit", DbType.Int64, (long)limit);
        if (pass.TenantId is not null)
        {
            Bind(command, "@tenant", DbType.String, pass.TenantId);
        }
        else
        {
            for (var index = 0; index < pass.ExceptTenants.Count; index++)
            {
                Bind(command, $"@except{index}", DbType.String, pass.ExceptTenants[index]);
            }
        }

        _written = true;
        var purged = new List<PurgedInstance>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            purged.Add(new PurgedInstance(reader.GetString(0), reader.GetString(1)));
        }

        return purged;
    }

    public async ValueTask<bool> DeleteInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        _written = true;
        var command = statements.Get("DELETE FROM instances WHERE instance_id = @id", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    public async ValueTask<bool> HasLiveRelativeAsync(string instanceId, CancellationToken cancellationToken)
    {
        var command = statements.Get($"SELECT CASE WHEN {NoLiveRelative} THEN 0 ELSE 1 END FROM instances i WHERE i.instance_id = @id", _commandTransaction);
        Bind(command, "@id", DbType.String, instanceId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } value and not DBNull
            && Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) == 1;
    }
}

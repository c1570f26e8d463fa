using static Runtara.Engine.Storage.SqlCoreStore;

namespace Runtara.Engine.Storage;

/// <summary>
/// The writer's statements that end in a dialect's locking clause, composed once per store: composing
/// them per call cost a few hundred characters of concatenation, and hashing them for the statement
/// cache, on every checkpoint.
/// </summary>
internal sealed class DialectStatements(SqlCoreStore store)
{
    /// <summary>One instance row, locked for the transaction.</summary>
    public string LockInstance { get; } = $"SELECT {InstanceColumns} FROM instances WHERE instance_id = @id{store.LockRowClause}";

    /// <summary>The instance's status and incarnation, its pending signal, and whether a custom signal waits for checkpoint @cp; locks the instance row.</summary>
    public string LockInstanceWithSignals { get; } =
        "SELECT i.status, s.signal_type, s.payload, s.created_at, "
        + "EXISTS (SELECT 1 FROM pending_custom_signals c WHERE c.instance_id = i.instance_id AND c.checkpoint_id = @cp), i.incarnation FROM instances i "
        + $"LEFT JOIN pending_signals s ON s.instance_id = i.instance_id AND s.acknowledged_at IS NULL WHERE i.instance_id = @id{store.LockInstanceRowClause}";

    /// <summary>Suspended instances whose sleep is due and not leased, oldest first.</summary>
    public string ClaimDueWakeups { get; } =
        "SELECT instance_id, tenant_id, checkpoint_id, sleep_until FROM instances "
        + "WHERE status = 'suspended' AND sleep_until IS NOT NULL AND sleep_until <= @now AND (wake_lease_until IS NULL OR wake_lease_until <= @now) "
        + "ORDER BY sleep_until, instance_id LIMIT @limit" + store.ClaimClause;

    /// <summary>Pending children whose start is not leased, oldest first.</summary>
    public string ClaimChildStarts { get; } =
        "SELECT c.child_id, c.parent_id, i.tenant_id, c.image, c.input FROM instance_children c JOIN instances i ON i.instance_id = c.child_id "
        + "WHERE i.status = 'pending' AND (c.start_lease_until IS NULL OR c.start_lease_until <= @now) "
        + "ORDER BY c.created_at, c.child_id LIMIT @limit" + store.ClaimChildrenClause;
}

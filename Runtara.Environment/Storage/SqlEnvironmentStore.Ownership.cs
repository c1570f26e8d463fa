namespace Runtara.Environment.Storage;

/// <summary>
/// Run ownership and leases (docs/environment.md, "Several environments"): the owner renews the lease of its
/// pending and running runs; another environment claims runs whose lease expired. Claims are one UPDATE each
/// pass: PostgreSQL picks its rows with FOR UPDATE SKIP LOCKED (concurrent claimers take disjoint rows and the
/// lease is checked again on the locked row), SQLite has a single writer.
/// </summary>
public abstract partial class SqlEnvironmentStore
{
    private const string LeasedStatuses = "status IN ('pending', 'running')";

    public Task<IReadOnlyList<string>> RenewRunLeasesAsync(string owner, long leaseUntilMs, CancellationToken cancellationToken) => Run("renew run leases", async token =>
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"UPDATE runs SET lease_until_ms = @until WHERE owner_id = @owner AND {LeasedStatuses} RETURNING instance_id", ("owner", owner), ("until", leaseUntilMs));
        return await ReadIdsAsync(command, token).ConfigureAwait(false);
    }, cancellationToken);

    public Task<IReadOnlyList<RunRecord>> ClaimExpiredRunsAsync(string owner, long nowMs, long leaseUntilMs, int limit, CancellationToken cancellationToken) => Run("claim expired runs", async token =>
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        const string Expired = "(lease_until_ms IS NULL OR lease_until_ms < @now)";
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            // updated_at_ms moves too: the claimer's heartbeat monitor leaves a just-claimed run to the takeover.
            $"UPDATE runs SET owner_id = @owner, lease_until_ms = @until, updated_at_ms = @now WHERE {LeasedStatuses} AND {Expired} AND instance_id IN " +
            $"(SELECT instance_id FROM runs WHERE {LeasedStatuses} AND {Expired} ORDER BY lease_until_ms, instance_id LIMIT @limit{SkipLockedClause}) " +
            $"RETURNING {RunColumns}",
            ("owner", owner), ("now", nowMs), ("until", leaseUntilMs), ("limit", limit));
        var claimed = new List<RunRecord>();
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            claimed.Add(ReadRun(reader));
        }

        return (IReadOnlyList<RunRecord>)claimed;
    }, cancellationToken);

    public Task<int> ClaimUnownedRunsAsync(string owner, long leaseUntilMs, CancellationToken cancellationToken) => Run("claim unowned runs", async token =>
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"UPDATE runs SET owner_id = @owner, lease_until_ms = @until WHERE owner_id IS NULL AND {LeasedStatuses}", ("owner", owner), ("until", leaseUntilMs));
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }, cancellationToken);

    public Task<IReadOnlyList<RunRecord>> ListOwnedRunsAsync(string owner, IReadOnlyCollection<RunStatus> statuses, CancellationToken cancellationToken) =>
        ListRunsWhereAsync("list owned runs", statuses, "owner_id = @owner", ("owner", owner), cancellationToken);

    private static async Task<IReadOnlyList<string>> ReadIdsAsync(System.Data.Common.DbCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}

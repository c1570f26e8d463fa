using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;
using Runtara.Engine.Tests.Infrastructure;
using Runtara.Engine.Waits;

namespace Runtara.Engine.Tests.Storage;

/// <summary>
/// Two writers of one PostgreSQL store lock two instance rows in opposite orders: PostgreSQL detects the
/// deadlock and rolls one transaction back, and the store runs that operation again, so both callers succeed
/// (the w2 bench on PostgreSQL had instances fail with "Database error during 'checkpoint'" from exactly this).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DeadlockRetryTests(PostgresFixture fixture) : CoreStoreSuite
{
    protected override string? SkipReason => fixture.SkipReason;

    protected override Task<ICoreStore> OpenAsync() => OpenPostgresAsync(fixture.ConnectionString);

    [SkippableFact(Timeout = 60_000)]
    public async Task Both_writes_of_a_deadlock_succeed_because_the_rolled_back_one_runs_again()
    {
        Skip.If(SkipReason is not null, SkipReason);
        var options = Options.Create(new EngineOptions());
        var instances = new InstanceService(Store, new ActivityTracker(Store, TimeProvider.System, options), new WakeupNotifier(), TimeProvider.System, options, NullLogger<InstanceService>.Instance);
        var (x, y) = ($"x-{Guid.NewGuid():N}", $"y-{Guid.NewGuid():N}");
        await instances.CreateAsync(x, "tenant", CancellationToken.None);
        await instances.CreateAsync(y, "tenant", CancellationToken.None);
        var firstLocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondLocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int firstRuns = 0, secondRuns = 0;
        // Touches only move the activity time forward (and an UPDATE that matches no row locks none): each later than the last.
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000;

        // Each takes its first row, waits (on its first run only) until the other holds its own, then wants the other's row.
        var first = Store.WriteAsync("deadlock-first", async (writer, token) =>
        {
            await writer.TouchInstanceAsync(x, at + 1, token);
            if (Interlocked.Increment(ref firstRuns) == 1)
            {
                firstLocked.TrySetResult();
                await secondLocked.Task.WaitAsync(TimeSpan.FromSeconds(20), token);
            }

            await writer.TouchInstanceAsync(y, at + 3, token);
            return true;
        }, CancellationToken.None);
        // Queued once the first is inside its transaction, so another writer (another connection) takes it.
        await firstLocked.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var second = Store.WriteAsync("deadlock-second", async (writer, token) =>
        {
            await writer.TouchInstanceAsync(y, at + 2, token);
            if (Interlocked.Increment(ref secondRuns) == 1)
            {
                secondLocked.TrySetResult();
            }

            await writer.TouchInstanceAsync(x, at + 4, token);
            return true;
        }, CancellationToken.None);

        Assert.True(await first);
        Assert.True(await second);
        // The one PostgreSQL chose as the victim ran again (first in its batch, then alone).
        Assert.True(firstRuns + secondRuns >= 3, $"runs: first {firstRuns}, second {secondRuns}");
    }

    [SkippableFact(Timeout = 60_000)]
    public async Task An_operation_rolled_back_again_when_run_alone_is_retried_until_it_commits()
    {
        Skip.If(SkipReason is not null, SkipReason);
        var runs = 0;

        // Deadlocked in its batch and again in its first run alone (as under two busy cores); the third run commits.
        var result = await Store.WriteAsync("unlucky", (writer, token) =>
            ++runs <= 2
                ? throw new Npgsql.PostgresException("deadlock detected", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.DeadlockDetected)
                : ValueTask.FromResult(runs), CancellationToken.None);

        Assert.Equal(3, result);
    }

    [SkippableFact(Timeout = 60_000)]
    public async Task Other_database_errors_are_not_retried()
    {
        Skip.If(SkipReason is not null, SkipReason);
        var runs = 0;

        await Assert.ThrowsAsync<StorageException>(() => Store.WriteAsync<int>("broken", (writer, token) =>
        {
            runs++;
            throw new Npgsql.PostgresException("syntax error", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.SyntaxError);
        }, CancellationToken.None));

        // Its batch, then once alone: a retry is only for errors that another transaction caused.
        Assert.Equal(2, runs);
    }
}

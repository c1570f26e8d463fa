using System.Text.Json;
using Runtara.Sdk;
using Runtara.Sdk.Embedded;
using RuntaraApp.Workflows;

namespace RuntaraApp.Workflows.Tests;

/// <summary>
/// The first workflow on the embedded engine (Runtara.Sdk.Embedded): the core's rules in process on a SQLite
/// file, with no server. Each test has its own database.
/// </summary>
public sealed class FirstWorkflowTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workflow-tests-").FullName;
    private EmbeddedEngine _engine = null!;

    public async Task InitializeAsync() =>
        // Sleeps up to a second are slept in process, as a core would before suspending.
        _engine = await EmbeddedEngine.OpenAsync(Path.Combine(_directory, "runtara.db"), o => o.InProcessSleepThreshold = TimeSpan.FromSeconds(1));

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task An_approved_order_is_reserved_sleeps_and_is_reminded()
    {
        await _engine.CreateInstanceAsync("order-1", "tenant");
        await _engine.SendCustomSignalAsync("order-1", "approve", Approve(true, "ann"));

        var outcome = await RunAsync("order-1", TimeSpan.FromMilliseconds(200));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(("approved", "ann", "res-order-1"), (outcome.Result!.Status, outcome.Result.ApprovedBy, outcome.Result.ReservationId));
        Assert.NotNull(outcome.Result.RemindedAt);
    }

    [Fact]
    public async Task A_rejected_order_ends_without_a_reminder()
    {
        await _engine.CreateInstanceAsync("order-2", "tenant");
        await _engine.SendCustomSignalAsync("order-2", "approve", Approve(false, "bob"));

        var outcome = await RunAsync("order-2", TimeSpan.FromMilliseconds(200));

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(("rejected", null), (outcome.Result!.Status, outcome.Result.RemindedAt));
    }

    [Fact]
    public async Task Without_the_signal_the_run_waits_and_a_later_run_replays_the_reservation()
    {
        await _engine.CreateInstanceAsync("order-3", "tenant");

        // No signal yet: the run suspends (in production its process exits and the environment relaunches it later).
        var waiting = await RunAsync("order-3", TimeSpan.FromMilliseconds(200));
        Assert.Equal(WorkflowStatus.Waiting, waiting.Status);

        await _engine.SendCustomSignalAsync("order-3", "approve", Approve(true, "ann"));
        var secondRunStarted = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var done = await RunAsync("order-3", TimeSpan.FromMilliseconds(200));

        Assert.Equal(WorkflowStatus.Completed, done.Status);
        // The reservation was checkpointed by the first run and replayed by the second, not made again.
        var reserved = (await _engine.ListCheckpointsAsync("order-3")).Single(c => c.CheckpointId == "step:reserve");
        Assert.True(reserved.CreatedAtMs < secondRunStarted);
    }

    private async Task<WorkflowOutcome<OrderResult>> RunAsync(string instanceId, TimeSpan reminderAfter)
    {
        // WaitGracePeriod zero: a wait without its signal suspends at once instead of lingering.
        await using var connection = _engine.Connect(new RuntaraInstanceOptions { WaitGracePeriod = TimeSpan.Zero });
        return await connection.RunAsync(
            FirstWorkflow.RunAsync, new OrderRequest(instanceId, reminderAfter), WorkflowJson.Default.OrderResult, new InstanceIdentity(instanceId, "tenant"));
    }

    private static byte[] Approve(bool approved, string by) => JsonSerializer.SerializeToUtf8Bytes(new Approval(approved, by), WorkflowJson.Default.Approval);
}

using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Embedded.Backends;
using Runtara.Sdk.Embedded;
using Runtara.Sdk.Tests.Infrastructure;
using Runtara.Sdk.Workflows;

namespace Runtara.Sdk.Tests.Workflows;

/// <summary>How a run reacts to each instance-wide signal (SPEC §9.2, §19.20).</summary>
public sealed class SignalHandlingTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private EmbeddedEngine? _engine;

    public async Task InitializeAsync() => _engine = await EmbeddedEngine.OpenAsync(Path.Combine(_directory.Path, "r.db"), o => o.InProcessSleepThreshold = TimeSpan.FromSeconds(1));

    public async Task DisposeAsync()
    {
        await _engine!.DisposeAsync();
        _directory.Dispose();
    }

    private InstanceRun NewRun() => new(
        new EmbeddedBackend(Task.FromResult(_engine!), ownsEngine: false),
        new RuntaraInstanceOptions { HeartbeatInterval = TimeSpan.Zero },
        new InstanceIdentity(Ids.Instance(), "t"),
        NullLogger.Instance,
        CancellationToken.None);

    [Fact]
    public async Task An_unknown_signal_type_is_ignored_not_treated_as_cancel()
    {
        await using var run = NewRun();

        run.OnSignal(new PendingSignal(SignalKind.Unknown, default));

        Assert.False(run.CancelRequested);
        Assert.False(run.CancellationToken.IsCancellationRequested);
        run.ThrowIfStopping();
    }

    [Fact]
    public async Task Cancel_cancels_the_run_token_and_stops_at_the_next_boundary()
    {
        await using var run = NewRun();

        run.OnSignal(new PendingSignal(SignalKind.Cancel, default));

        Assert.True(run.CancelRequested);
        await Wait.UntilAsync(() => Task.FromResult(run.CancellationToken.IsCancellationRequested), c => c, TimeSpan.FromSeconds(5), "the run token");
        Assert.Throws<OperationCanceledException>(() => run.ThrowIfStopping());
    }

    [Fact]
    public async Task Pause_interrupts_at_the_next_boundary_without_cancelling_running_work()
    {
        await using var run = NewRun();
        run.MarkWritten("step:a");

        run.OnSignal(new PendingSignal(SignalKind.Pause, default));

        Assert.False(run.CancellationToken.IsCancellationRequested);
        var interrupted = Assert.Throws<WorkflowInterruptedException>(() => run.ThrowIfStopping());
        Assert.Equal(InterruptionReason.Paused, interrupted.Reason);
        Assert.Equal("step:a", interrupted.CheckpointId);
    }

    [Fact]
    public async Task Resume_is_informational()
    {
        await using var run = NewRun();

        run.OnSignal(new PendingSignal(SignalKind.Resume, default));

        Assert.False(run.CancelRequested || run.PauseRequested);
        run.ThrowIfStopping();
    }
}

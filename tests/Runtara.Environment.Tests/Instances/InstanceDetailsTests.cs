using Google.Protobuf;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;
using CoreStatus = Runtara.Protocol.Management.InstanceStatus;
using CoreView = Runtara.Protocol.Management.GetInstanceStatusResponse;

namespace Runtara.Environment.Tests.Instances;

/// <summary>GetInstanceStatus: the environment's run merged with the core's durable state.</summary>
public sealed class InstanceDetailsTests
{
    private static RunRecord Run(RunStatus status = RunStatus.Running) => new()
    {
        InstanceId = "i-1",
        TenantId = "acme",
        ImageId = "img-1",
        ImageName = "orders",
        Status = status,
        Input = "{}"u8.ToArray(),
        CreatedAtMs = 100,
        StartedAtMs = 200,
        RetryCount = 1,
        MaxRetries = 3,
        LaunchCount = 2,
        CheckpointId = "run-checkpoint",
        ExitCode = 1,
        StderrTail = "oops",
    };

    [Fact]
    public void The_core_owns_status_checkpoint_finish_output_and_error()
    {
        var core = new CoreView
        {
            Status = CoreStatus.StatusCompleted, TenantId = "acme", CheckpointId = "core-checkpoint", FinishedAtMs = 900,
            Output = ByteString.CopyFromUtf8("42"), Error = "core error", LastActivityMs = 850, WakeAtMs = 1_000,
        };

        var details = InstanceService.Merge("i-1", Run() with { Error = "run error", FinishedAtMs = 800 }, core, pid: 4242);

        Assert.Equal(CoreStatus.StatusCompleted, details.Status);
        Assert.Equal("core-checkpoint", details.CheckpointId);
        Assert.Equal(900, details.FinishedAtMs);
        Assert.Equal("42", details.Output!.ToStringUtf8());
        Assert.Equal("core error", details.Error);
        Assert.Equal((850L, 1_000L), (details.LastActivityMs!.Value, details.WakeAtMs!.Value));
        Assert.Equal(("img-1", "orders", 1, 3, 2, 4242), (details.ImageId, details.ImageName, details.RetryCount, details.MaxRetries, details.LaunchCount, details.Pid!.Value));
        Assert.Equal((1, "oops"), (details.ExitCode!.Value, details.Stderr));
    }

    [Fact]
    public void A_suspended_instance_has_no_finish_time_even_when_its_last_process_ended()
    {
        var core = new CoreView { Status = CoreStatus.StatusSuspended, TenantId = "acme", FinishedAtMs = 900, WakeAtMs = 5_000 };

        var fromCore = InstanceService.Merge("i-1", Run(RunStatus.Suspended) with { FinishedAtMs = 800 }, core, pid: null);
        var fromRun = InstanceService.Merge("i-1", Run(RunStatus.Suspended) with { FinishedAtMs = 800 }, status: null, pid: null);

        Assert.Equal(CoreStatus.StatusSuspended, fromCore.Status);
        Assert.Null(fromCore.FinishedAtMs);
        Assert.Null(fromRun.FinishedAtMs);
    }

    [Fact]
    public void The_run_fills_what_the_core_has_not_got()
    {
        var details = InstanceService.Merge("i-1", Run(RunStatus.Failed) with { Error = "launch failed", FinishedAtMs = 800 }, status: null, pid: null);

        Assert.Equal(CoreStatus.StatusFailed, details.Status);
        Assert.Equal(("acme", 100L, 200L), (details.TenantId, details.CreatedAtMs, details.StartedAtMs!.Value));
        Assert.Equal(("run-checkpoint", 800L, "launch failed"), (details.CheckpointId, details.FinishedAtMs!.Value, details.Error));
        Assert.Null(details.Output);
        Assert.Null(details.LastActivityMs);
    }

    [Fact]
    public void A_run_error_and_finish_time_show_only_when_they_still_apply()
    {
        var core = new CoreView { Status = CoreStatus.StatusRunning, TenantId = "acme" };

        // A retried run keeps its last error and finish time; while it runs again neither is reported.
        var details = InstanceService.Merge("i-1", Run(RunStatus.Running) with { Error = "crashed", FinishedAtMs = 800 }, core, pid: 1);

        Assert.Null(details.Error);
        Assert.Null(details.FinishedAtMs);
    }

    [Fact]
    public void An_instance_only_the_core_knows_is_shown_without_image_details()
    {
        var core = new CoreView { Status = CoreStatus.StatusSuspended, TenantId = "acme", CreatedAtMs = 50, StartedAtMs = 60 };

        var details = InstanceService.Merge("self-registered", run: null, core, pid: null);

        Assert.Equal(("self-registered", "acme", CoreStatus.StatusSuspended), (details.InstanceId, details.TenantId, details.Status));
        Assert.Equal((50L, 60L), (details.CreatedAtMs, details.StartedAtMs!.Value));
        Assert.Equal((string.Empty, 0, (byte[]?)null), (details.ImageId, details.LaunchCount, details.Input));
    }
}

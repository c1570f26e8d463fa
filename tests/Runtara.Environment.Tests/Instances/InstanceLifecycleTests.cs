using System.Text.Json;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Instances;

/// <summary>Starting, finishing, stopping, pausing, resuming and waking real instance processes (SPEC §6.4.7–6.4.14, §18.3, §18.5).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class InstanceLifecycleTests(EnvironmentFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task Started_instance_completes_and_its_output_is_readable()
    {
        var (id, tenant, image) = await _env.StartTestInstanceAsync(configure: o => o.Input = """{"message":"Hello from E2E test","number":42}""");

        var info = await _env.WaitForEndAsync(id);
        Assert.Equal(InstanceStatus.Completed, info.Status);
        info = await WaitForExitAsync(id);

        Assert.Equal("Hello from E2E test", info.Output!.Value.GetProperty("echo").GetProperty("message").GetString());
        Assert.Equal(42, info.Output!.Value.GetProperty("echo").GetProperty("number").GetInt32());
        Assert.Equal(0, info.ExitCode);
        Assert.Equal(1, info.LaunchCount);
        Assert.Equal(image, info.ImageId);
        Assert.Equal(tenant, info.TenantId);
        Assert.NotNull(info.StartedAt);
        Assert.NotNull(info.FinishedAt);
        Assert.Equal(42, info.Input!.Value.GetProperty("number").GetInt32());
    }

    [Fact]
    public async Task Resource_use_of_a_finished_run_is_reported()
    {
        var id = (await _env.StartTestInstanceAsync()).Id;
        await _env.WaitForEndAsync(id);
        var info = await WaitForExitAsync(id);

        Assert.True(info.MemoryPeakBytes > 1024 * 1024, $"peak memory {info.MemoryPeakBytes}");
        Assert.True(info.CpuUsageUsec > 0, $"cpu {info.CpuUsageUsec}");
    }

    [Fact]
    public async Task Starting_again_with_the_same_id_and_image_returns_the_existing_instance()
    {
        var tenant = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(tenant);
        var options = new StartInstanceOptions { ImageId = image, TenantId = tenant, InstanceId = Ids.Instance() };

        var first = await _env.Client.StartInstanceAsync(options);
        var second = await _env.Client.StartInstanceAsync(options);
        var info = await _env.WaitForEndAsync(first);

        Assert.Equal(options.InstanceId, first);
        Assert.Equal(first, second);
        Assert.Equal(1, info.LaunchCount);
    }

    [Fact]
    public async Task Starting_an_existing_id_with_another_image_is_refused()
    {
        var tenant = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(tenant);
        var other = await _env.RegisterTestImageAsync(tenant, "other");
        var id = Ids.Instance();
        await _env.StartTestInstanceAsync(image, tenant, null, o => o.InstanceId = id);

        var error = await Assert.ThrowsAsync<Management.InstanceAlreadyExistsException>(() =>
            _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = other, TenantId = tenant, InstanceId = id }));

        Assert.Equal(EnvironmentErrorCodes.InstanceAlreadyExists, error.Code);
    }

    [Fact]
    public async Task Invalid_json_input_is_refused_and_nothing_is_created()
    {
        var tenant = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(tenant);
        var id = Ids.Instance();

        var error = await Assert.ThrowsAsync<ValidationException>(() =>
            _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, InstanceId = id, Input = "{not json" }));

        Assert.Equal(EnvironmentErrorCodes.InvalidArgument, error.Code);
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.GetInstanceAsync(id));
        Assert.Equal(0, (await _env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant })).TotalCount);
    }

    [Fact]
    public async Task Unknown_image_is_refused_and_nothing_is_created()
    {
        var tenant = Ids.Tenant();
        var id = Ids.Instance();

        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() =>
            _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = Guid.NewGuid().ToString(), TenantId = tenant, InstanceId = id }));

        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.GetInstanceAsync(id));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    public async Task Ids_that_would_become_unsafe_paths_are_refused(string unsafeId)
    {
        var tenant = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(tenant);

        await Assert.ThrowsAsync<ValidationException>(() => _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, InstanceId = unsafeId }));
        await Assert.ThrowsAsync<ValidationException>(() => _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = unsafeId }));
    }

    [Fact]
    public async Task A_process_that_exits_without_reporting_is_failed_with_its_exit_code_and_stderr()
    {
        var id = (await _env.StartTestInstanceAsync(configure: o => o.Input = """{"mode":"crash","exit_code":3}""")).Id;

        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Equal(3, info.ExitCode);
        Assert.Contains("code 3", info.Error, StringComparison.Ordinal);
        Assert.Contains("crashing without reporting a result", info.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crashed_instance_is_retried_from_its_checkpoint_up_to_its_max_retries()
    {
        var id = (await _env.StartTestInstanceAsync("crash", o => o.MaxRetries = 2)).Id;

        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Equal(3, info.LaunchCount);
        Assert.Equal(2, info.RetryCount);
        Assert.Equal(2, info.MaxRetries);
    }

    [Fact]
    public async Task A_failing_instance_reports_its_error()
    {
        var id = (await _env.StartTestInstanceAsync("fail")).Id;

        await _env.WaitForEndAsync(id);
        var info = await WaitForExitAsync(id);

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Equal("failed on purpose", info.Error);
        Assert.Equal(1, info.ExitCode);
    }

    [Fact]
    public async Task Stop_asks_the_instance_to_cancel_and_it_ends_cancelled_within_the_grace_period()
    {
        var id = (await _env.StartTestInstanceAsync("wait_signal")).Id;
        await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        var started = DateTime.UtcNow;
        await _env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(10), Reason = "test stop" });
        var info = await _env.Client.GetInstanceAsync(id);

        Assert.Equal(InstanceStatus.Cancelled, info.Status);
        Assert.Equal(0, info.ExitCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8), "the instance acknowledged the cancel well before the grace period ended");
        Assert.Null(info.Pid);
    }

    [Fact]
    public async Task Stop_escalates_to_sigkill_when_the_process_ignores_cancel_and_sigterm()
    {
        var (id, tenant, _) = await _env.StartTestInstanceAsync("ignore_term");
        var running = await _env.WaitForStatusAsync(id, InstanceStatus.Running);
        await Wait.UntilAsync(() => Task.FromResult(LogContains(tenant, id, "ignoring SIGTERM")), ok => ok, Deadline, "the instance to install its SIGTERM handler");

        await _env.Client.StopInstanceAsync(id, new StopInstanceOptions { GracePeriod = TimeSpan.FromSeconds(1) });
        var info = await _env.Client.GetInstanceAsync(id);

        Assert.Equal(InstanceStatus.Cancelled, info.Status);
        Assert.Equal(137, info.ExitCode);
        Assert.False(File.Exists($"/proc/{running.Pid}/stat") && !File.ReadAllText($"/proc/{running.Pid}/stat").Contains(") Z", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_a_finished_instance_is_refused_and_stopping_twice_is_harmless()
    {
        var (done, tenant, image) = await _env.StartTestInstanceAsync();
        await _env.WaitForEndAsync(done);
        await Assert.ThrowsAsync<InstanceStateException>(() => _env.Client.StopInstanceAsync(done));

        var waiting = await _env.StartTestInstanceAsync(image, tenant, "wait_signal");
        await _env.WaitForStatusAsync(waiting, InstanceStatus.Running);
        await _env.Client.StopInstanceAsync(waiting);
        await _env.Client.StopInstanceAsync(waiting);
        Assert.Equal(InstanceStatus.Cancelled, (await _env.Client.GetInstanceAsync(waiting)).Status);
    }

    [Fact]
    public async Task Stop_of_an_unknown_instance_is_not_found()
    {
        var error = await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.StopInstanceAsync(Ids.Instance()));
        Assert.Equal(EnvironmentErrorCodes.InstanceNotFound, error.Code);
    }

    [Fact]
    public async Task Pause_suspends_the_instance_and_resume_relaunches_it_from_its_checkpoint()
    {
        var id = (await _env.StartTestInstanceAsync("wait_signal")).Id;
        await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        await _env.Client.PauseInstanceAsync(id);
        var paused = await _env.WaitForEndAsync(id, orSuspended: true);
        Assert.Equal(InstanceStatus.Suspended, paused.Status);
        Assert.StartsWith("loop-", paused.CheckpointId, StringComparison.Ordinal);
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(id), i => i.Pid is null && i.ExitCode is not null, Deadline, "the paused process to exit");

        await _env.Client.ResumeInstanceAsync(id);
        var resumed = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Completed, resumed.Status);
        Assert.True(resumed.Output!.Value.GetProperty("resumed").GetBoolean());
        Assert.Equal(paused.CheckpointId, resumed.Output!.Value.GetProperty("from").GetString());
        Assert.Equal(2, resumed.LaunchCount);
    }

    [Fact]
    public async Task Resume_of_a_running_or_finished_instance_is_refused()
    {
        var id = (await _env.StartTestInstanceAsync("wait_signal")).Id;
        await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        await Assert.ThrowsAsync<InstanceStateException>(() => _env.Client.ResumeInstanceAsync(id));
        await _env.Client.StopInstanceAsync(id);
        await Assert.ThrowsAsync<InstanceStateException>(() => _env.Client.ResumeInstanceAsync(id));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.ResumeInstanceAsync(Ids.Instance()));
    }

    [Fact]
    public async Task Durable_sleep_suspends_the_instance_and_the_wake_scheduler_relaunches_it()
    {
        var id = (await _env.StartTestInstanceAsync(configure: o => o.Input = """{"mode":"sleep","sleep_ms":1500}""")).Id;

        var sleeping = await _env.WaitForEndAsync(id, orSuspended: true);
        Assert.Equal(InstanceStatus.Suspended, sleeping.Status);
        Assert.NotNull(sleeping.WakeAt);

        var woken = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Completed, woken.Status);
        Assert.True(woken.Output!.Value.GetProperty("woke").GetBoolean());
        Assert.Equal("sleep-1", woken.Output!.Value.GetProperty("launch_checkpoint").GetString());
        Assert.Equal(2, woken.LaunchCount);
        Assert.True(woken.FinishedAt - woken.StartedAt >= TimeSpan.FromMilliseconds(1400));
    }

    [Fact]
    public async Task A_custom_signal_reaches_the_instance_at_its_checkpoint()
    {
        var id = (await _env.StartTestInstanceAsync("custom_signal")).Id;
        await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        await _env.Client.SendCustomSignalAsync(id, "wait-input", "approved"u8.ToArray());
        var info = await _env.WaitForEndAsync(id);

        Assert.Equal("approved", info.Output!.Value.GetProperty("received").GetString());
    }

    [Fact]
    public async Task Cancel_signal_ends_a_running_instance_cancelled()
    {
        var id = (await _env.StartTestInstanceAsync("wait_signal")).Id;
        await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        await _env.Client.CancelInstanceAsync(id, "no longer needed");
        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Cancelled, info.Status);
        await Assert.ThrowsAsync<InstanceStateException>(() => _env.Client.PauseInstanceAsync(id));
    }

    [Fact]
    public async Task Extra_environment_variables_reach_the_instance_but_cannot_override_runtara_ones()
    {
        var tenant = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(tenant);
        var options = new StartInstanceOptions { ImageId = image, TenantId = tenant, Input = """{"mode":"env"}""" };
        options.Environment["CUSTOM_VAR"] = "custom-value";
        options.Environment["RUNTARA_INSTANCE_ID"] = "impersonated";
        options.Environment["RUNTARA_TENANT_ID"] = "other-tenant";
        var id = await _env.Client.StartInstanceAsync(options);

        var info = await _env.WaitForEndAsync(id);

        Assert.Equal(InstanceStatus.Completed, info.Status);
        Assert.Equal("custom-value", info.Output!.Value.GetProperty("custom").GetString());
        Assert.Equal(id, info.Output!.Value.GetProperty("instance_id").GetString());
        Assert.Equal(tenant, info.Output!.Value.GetProperty("tenant_id").GetString());
    }

    [Fact]
    public async Task Checkpoints_events_and_logs_are_readable_through_the_environment()
    {
        var id = (await _env.StartTestInstanceAsync(configure: o => o.Input = """{"k":"v"}""")).Id;
        await _env.WaitForEndAsync(id);

        var checkpoints = await _env.Client.ListCheckpointsAsync(id);
        Assert.Equal(1, checkpoints.TotalCount);
        Assert.Equal("step-1", checkpoints.Checkpoints[0].CheckpointId);
        var data = await _env.Client.GetCheckpointAsync(id, "step-1");
        Assert.Equal("v", JsonDocument.Parse(data.Data).RootElement.GetProperty("k").GetString());
        await Assert.ThrowsAsync<CheckpointNotFoundException>(() => _env.Client.GetCheckpointAsync(id, "missing"));

        var events = await _env.Client.ListEventsAsync(id);
        Assert.Contains(events.Events, e => e.EventType == "completed");

        using var stdout = new MemoryStream();
        Assert.True(await _env.Client.GetLogsAsync(id, stdout, "stdout"));
        Assert.Contains($"registered {id}", System.Text.Encoding.UTF8.GetString(stdout.ToArray()), StringComparison.Ordinal);
        Assert.Equal(0, (await _env.Client.ListRetryAttemptsAsync(id)).TotalCount);
    }

    [Fact]
    public async Task Retry_attempts_are_readable_through_the_environment()
    {
        var (id, tenant, _) = await _env.StartTestInstanceAsync("retry");
        await _env.WaitForEndAsync(id);

        // RetryAttempt is one-way: the core may store the last one just after the completion.
        var attempts = await Wait.UntilAsync(() => _env.Client.ListRetryAttemptsAsync(id, tenantId: tenant), a => a.TotalCount == 2, Deadline, "two retry attempts");
        Assert.Equal([("step-1", 2, "attempt 1 failed"), ("step-1", 3, "attempt 2 failed")], attempts.Attempts.Select(a => (a.CheckpointId, a.AttemptNumber, a.ErrorMessage)));
        Assert.All(attempts.Attempts, a => Assert.Equal(id, a.InstanceId));
        var second = await _env.Client.ListRetryAttemptsAsync(id, "step-1", limit: 1, offset: 1, tenantId: tenant);
        Assert.Equal((3, 2L, 1, 1), (Assert.Single(second.Attempts).AttemptNumber, second.TotalCount, second.Limit, second.Offset));
        Assert.Empty((await _env.Client.ListRetryAttemptsAsync(id, "other-step")).Attempts);
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => _env.Client.ListRetryAttemptsAsync(Ids.Instance(), tenantId: tenant));
    }

    [Fact]
    public async Task Listing_filters_orders_pages_and_counts_instances()
    {
        var tenant = Ids.Tenant();
        var image = await _env.RegisterTestImageAsync(tenant, "list-image");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant, InstanceId = $"list-{i}-{Guid.NewGuid():N}" }));
            await _env.Client.WaitForCompletionAsync(ids[^1], new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = Deadline });
        }

        var page = await _env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Limit = 2, Order = InstanceOrder.CreatedAtAsc });
        var rest = await _env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Limit = 2, Offset = 2, Order = InstanceOrder.CreatedAtAsc });
        var completed = await _env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Status = InstanceStatus.Completed, ImageNamePrefix = "list-" });
        var none = await _env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Status = InstanceStatus.Failed });
        var newestFinished = await _env.Client.ListInstancesAsync(new ListInstancesOptions { TenantId = tenant, Order = InstanceOrder.FinishedAtDesc, Limit = 1 });

        Assert.Equal(3, page.TotalCount);
        Assert.Equal(ids.Take(2), page.Instances.Select(i => i.InstanceId));
        Assert.Equal(ids.Skip(2), rest.Instances.Select(i => i.InstanceId));
        Assert.Equal(3, completed.TotalCount);
        Assert.Equal(0, none.TotalCount);
        Assert.Equal(ids[2], newestFinished.Instances.Single().InstanceId);
    }

    [Fact]
    public async Task Deleting_an_image_with_a_running_instance_is_refused_and_allowed_after_it_ends()
    {
        var (id, tenant, image) = await _env.StartTestInstanceAsync("wait_signal");
        await _env.WaitForStatusAsync(id, InstanceStatus.Running);

        var error = await Assert.ThrowsAsync<Management.ImageInUseException>(() => _env.Client.DeleteImageAsync(image, tenant));
        Assert.Equal(EnvironmentErrorCodes.ImageInUse, error.Code);

        await _env.Client.StopInstanceAsync(id);
        await _env.Client.DeleteImageAsync(image, tenant);
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.GetImageAsync(image, tenant));
    }

    /// <summary>The core reports the outcome as soon as the instance does; the exit code follows when the process has ended.</summary>
    private async Task<InstanceInfo> WaitForExitAsync(string id) =>
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(id), i => i.ExitCode is not null && i.Pid is null, Deadline, $"instance {id}'s process to exit");


    private bool LogContains(string tenant, string id, string text)
    {
        var path = Path.Combine(_env.EnvironmentDataDirectory, "runs", tenant, id, "stdout.log");
        return File.Exists(path) && File.ReadAllText(path).Contains(text, StringComparison.Ordinal);
    }
}

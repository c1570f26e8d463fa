using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Runtara.Protocol.Environment;
using InstanceStatus = Runtara.Protocol.Contracts.InstanceStatus;
using ProtoGranularity = Runtara.Protocol.Environment.MetricsGranularity;
using ProtoStatus = Runtara.Protocol.Environment.InstanceStatus;
using SignalKind = Runtara.Protocol.Contracts.SignalKind;

namespace Runtara.Management.Tests.Client;

/// <summary>Management client behaviour (SPEC §16.1–16.2, §18.4) with the fixes of §19.18–19.19.</summary>
public sealed class ClientTests : IAsyncLifetime
{
    private StubEnvironment _stub = null!;

    public async Task InitializeAsync() => _stub = await StubEnvironment.StartAsync();

    public async Task DisposeAsync() => await _stub.DisposeAsync();

    [Theory]
    [InlineData(EnvironmentErrorCodes.InvalidArgument, typeof(ValidationException))]
    [InlineData(EnvironmentErrorCodes.ImageNotFound, typeof(ImageNotFoundException))]
    [InlineData(EnvironmentErrorCodes.InstanceNotFound, typeof(InstanceNotFoundException))]
    [InlineData(EnvironmentErrorCodes.InstanceAlreadyExists, typeof(InstanceAlreadyExistsException))]
    [InlineData(EnvironmentErrorCodes.InvalidInstanceState, typeof(InstanceStateException))]
    [InlineData(EnvironmentErrorCodes.ImageInUse, typeof(ImageInUseException))]
    [InlineData(EnvironmentErrorCodes.ChecksumMismatch, typeof(ImageIntegrityException))]
    [InlineData(EnvironmentErrorCodes.SizeMismatch, typeof(ImageIntegrityException))]
    [InlineData(EnvironmentErrorCodes.ImageTooLarge, typeof(ImageTooLargeException))]
    [InlineData(EnvironmentErrorCodes.QuotaExceeded, typeof(QuotaExceededException))]
    [InlineData(EnvironmentErrorCodes.LaunchFailed, typeof(LaunchFailedException))]
    [InlineData(EnvironmentErrorCodes.CoreUnavailable, typeof(EnvironmentUnavailableException))]
    [InlineData("SOMETHING_NEW", typeof(ManagementException))]
    public async Task Server_error_codes_become_typed_exceptions_whatever_the_message(string code, Type expected)
    {
        _stub.Answer = _ => RpcResponse.FromError(code, "a message that says nothing about not found");
        await using var client = _stub.Client("t");

        var error = await Assert.ThrowsAnyAsync<ManagementException>(() => client.StopInstanceAsync("i-1"));

        Assert.Equal(expected, error.GetType());
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task Tenant_metrics_request_the_window_and_map_milliseconds_to_seconds()
    {
        _stub.Answer = _ =>
        {
            var response = new GetTenantMetricsResponse { TenantId = "t", StartTimeMs = 3_600_000, EndTimeMs = 7_200_000, Granularity = ProtoGranularity.GranularityDaily };
            response.Buckets.Add(new MetricsBucket
            {
                BucketTimeMs = 0, InvocationCount = 4, SuccessCount = 3, FailureCount = 1, AvgDurationMs = 1500, MinDurationMs = 250, MaxDurationMs = 4000,
                AvgMemoryBytes = 2048, MaxMemoryBytes = 4096, SuccessRatePercent = 75,
            });
            response.Buckets.Add(new MetricsBucket { BucketTimeMs = 86_400_000 });
            return new RpcResponse { GetTenantMetrics = response };
        };
        await using var client = _stub.Client("t");

        var metrics = await client.GetTenantMetricsAsync(from: DateTimeOffset.FromUnixTimeMilliseconds(3_600_000), granularity: MetricsGranularity.Daily);

        var request = _stub.Requests.Single().GetTenantMetrics;
        Assert.Equal(("t", true, 3_600_000L, false, ProtoGranularity.GranularityDaily), (request.TenantId, request.HasStartTimeMs, request.StartTimeMs, request.HasEndTimeMs, request.Granularity));
        Assert.Equal((DateTimeOffset.FromUnixTimeMilliseconds(7_200_000), MetricsGranularity.Daily), (metrics.End, metrics.Granularity));
        Assert.Equal(
            [
                new MetricsBucketInfo(DateTimeOffset.UnixEpoch, 4, 3, 1, 0, 1.5, 0.25, 4, 2048, 4096, 75),
                new MetricsBucketInfo(DateTimeOffset.FromUnixTimeMilliseconds(86_400_000), 0, 0, 0, 0, null, null, null, null, null, null),
            ],
            metrics.Buckets);
    }

    [Fact]
    public async Task Status_of_an_unknown_instance_is_instance_not_found()
    {
        _stub.Answer = _ => new RpcResponse { GetInstanceStatus = new GetInstanceStatusResponse { Found = false } };
        await using var client = _stub.Client();

        var error = await Assert.ThrowsAsync<InstanceNotFoundException>(() => client.GetInstanceAsync("missing"));

        Assert.Equal("missing", error.InstanceId);
    }

    [Fact]
    public async Task Status_fields_and_json_are_mapped()
    {
        _stub.Answer = _ => new RpcResponse
        {
            GetInstanceStatus = new GetInstanceStatusResponse
            {
                Found = true, InstanceId = "i", TenantId = "t", Status = ProtoStatus.StatusCompleted, CreatedAtMs = 1000, FinishedAtMs = 2000,
                Output = Google.Protobuf.ByteString.CopyFromUtf8("""{"a":1}"""), Input = Google.Protobuf.ByteString.CopyFromUtf8("not json"),
                RetryCount = 1, MaxRetries = 3, MemoryPeakBytes = 42, ExitCode = 0, LaunchCount = 2,
            },
        };
        await using var client = _stub.Client();

        var info = await client.GetInstanceAsync("i");

        Assert.Equal(InstanceStatus.Completed, info.Status);
        Assert.True(info.IsTerminal);
        Assert.Equal(1, info.Output!.Value.GetProperty("a").GetInt32());
        Assert.Null(info.Input);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2000), info.FinishedAt);
        Assert.Equal((1, 3, 42L, 0, 2), (info.RetryCount, info.MaxRetries, info.MemoryPeakBytes!.Value, info.ExitCode!.Value, info.LaunchCount));
    }

    [Fact]
    public async Task Retry_attempts_send_the_filter_and_page_and_map_the_answer()
    {
        _stub.Answer = _ =>
        {
            var response = new ListRetryAttemptsResponse { TotalCount = 5, Limit = 2, Offset = 1 };
            response.Attempts.Add(new RetryAttemptSummary { InstanceId = "i", CheckpointId = "fetch", AttemptNumber = 2, ErrorMessage = "timeout", CreatedAtMs = 3000 });
            response.Attempts.Add(new RetryAttemptSummary { InstanceId = "i", CheckpointId = "fetch", AttemptNumber = 3, CreatedAtMs = 4000 });
            return new RpcResponse { ListRetryAttempts = response };
        };
        await using var client = _stub.Client("t");

        var page = await client.ListRetryAttemptsAsync("i", "fetch", limit: 2, offset: 1);
        await client.ListRetryAttemptsAsync("i");

        var requests = _stub.Requests.Select(r => r.ListRetryAttempts).ToList();
        Assert.Equal(("i", true, "fetch", 2u, 1u, "t"), (requests[0].InstanceId, requests[0].HasCheckpointId, requests[0].CheckpointId, requests[0].Limit, requests[0].Offset, requests[0].TenantId));
        Assert.Equal((false, 100u, 0u), (requests[1].HasCheckpointId, requests[1].Limit, requests[1].Offset));
        Assert.Equal((5L, 2, 1), (page.TotalCount, page.Limit, page.Offset));
        Assert.Equal(
            [
                new RetryAttemptInfo("i", "fetch", 2, "timeout", DateTimeOffset.FromUnixTimeMilliseconds(3000)),
                new RetryAttemptInfo("i", "fetch", 3, null, DateTimeOffset.FromUnixTimeMilliseconds(4000)),
            ],
            page.Attempts);
        await Assert.ThrowsAsync<ArgumentException>(() => client.ListRetryAttemptsAsync(string.Empty));
    }

    [Fact]
    public async Task Wait_gives_up_at_its_deadline_with_the_last_status()
    {
        _stub.Answer = _ => new RpcResponse { GetInstanceStatus = new GetInstanceStatusResponse { Found = true, InstanceId = "i", Status = ProtoStatus.StatusRunning } };
        await using var client = _stub.Client();

        var error = await Assert.ThrowsAsync<WaitTimeoutException>(() =>
            client.WaitForCompletionAsync("i", new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromMilliseconds(200) }));

        Assert.Equal(InstanceStatus.Running, error.LastStatus);
    }

    [Fact]
    public async Task Wait_can_stop_at_suspended()
    {
        _stub.Answer = _ => new RpcResponse { GetInstanceStatus = new GetInstanceStatusResponse { Found = true, InstanceId = "i", Status = ProtoStatus.StatusSuspended } };
        await using var client = _stub.Client();

        var info = await client.WaitForCompletionAsync("i", new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromSeconds(10), ReturnWhenSuspended = true });

        Assert.Equal(InstanceStatus.Suspended, info.Status);
    }

    [Fact]
    public async Task Resume_signal_calls_resume_instance_and_stop_defaults_to_a_five_second_grace()
    {
        _stub.Answer = r => r.RequestCase == RpcRequest.RequestOneofCase.ResumeInstance
            ? new RpcResponse { ResumeInstance = new ResumeInstanceResponse { Success = true } }
            : new RpcResponse { StopInstance = new StopInstanceResponse { Success = true } };
        await using var client = _stub.Client("tenant-1");

        await client.SendSignalAsync("i", SignalKind.Resume);
        await client.StopInstanceAsync("i");

        Assert.Equal(RpcRequest.RequestOneofCase.ResumeInstance, _stub.Requests[0].RequestCase);
        Assert.Equal("tenant-1", _stub.Requests[0].ResumeInstance.TenantId);
        Assert.Equal(5u, _stub.Requests[1].StopInstance.GracePeriodSeconds);
    }

    [Fact]
    public async Task List_filter_and_signals_go_on_the_wire_as_the_environment_protocol_values()
    {
        _stub.Answer = r => r.RequestCase == RpcRequest.RequestOneofCase.ListInstances
            ? new RpcResponse { ListInstances = new ListInstancesResponse { Instances = { new InstanceSummary { InstanceId = "i", Status = ProtoStatus.StatusFailed } }, TotalCount = 1 } }
            : new RpcResponse { SendSignal = new SendSignalResponse { Success = true } };
        await using var client = _stub.Client("t");

        var list = await client.ListInstancesAsync(new ListInstancesOptions { Status = InstanceStatus.Suspended });
        await client.SendSignalAsync("i", SignalKind.Cancel);
        await client.PauseInstanceAsync("i");

        Assert.Equal(ProtoStatus.StatusSuspended, _stub.Requests[0].ListInstances.Status);
        Assert.Equal(InstanceStatus.Failed, list.Instances.Single().Status);
        Assert.Equal([SignalType.SignalCancel, SignalType.SignalPause], _stub.Requests.Skip(1).Select(r => r.SendSignal.SignalType));
    }

    [Fact]
    public async Task An_unknown_signal_is_refused_before_anything_is_sent()
    {
        await using var client = _stub.Client("t");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.SendSignalAsync("i", SignalKind.Unknown));

        Assert.Empty(_stub.Requests);
    }

    [Fact]
    public async Task Register_from_file_declares_size_sha256_and_entrypoint_and_streams_the_content()
    {
        _stub.Answer = _ => new RpcResponse { RegisterImage = new RegisterImageResponse { Success = true, ImageId = "img-1" } };
        await using var client = _stub.Client("t");
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, new byte[200_000]);
        long reported = 0;

        var id = await client.RegisterImageFromFileAsync(file, new RegisterImageOptions { Name = "n", Entrypoint = "App.dll" }, new Progress<long>(p => Interlocked.Exchange(ref reported, p)));
        File.Delete(file);

        var start = _stub.Requests.Single().RegisterImageStream;
        Assert.Equal("img-1", id);
        Assert.Equal(200_000ul, start.BinarySize);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(new byte[200_000])), start.Sha256);
        Assert.Equal("""{"entrypoint":"App.dll"}""", start.Metadata.ToStringUtf8());
        Assert.Equal("t", start.TenantId);
    }

    [Fact]
    public async Task An_unreachable_environment_is_environment_unavailable()
    {
        await using var client = new RuntaraManagementClient(new ManagementClientOptions { Address = "127.0.0.1:1", Transport = Protocol.Transport.TransportKind.Tcp, ConnectTimeout = TimeSpan.FromSeconds(2) });

        var error = await Assert.ThrowsAsync<EnvironmentUnavailableException>(() => client.HealthAsync());

        Assert.Equal(RpcErrorCodes.Unavailable, error.Code);
    }

    [Fact]
    public async Task The_di_registration_reads_the_address_from_the_connection_string_and_adds_a_health_check()
    {
        _stub.Answer = _ => new RpcResponse { HealthCheck = new HealthCheckResponse { Healthy = true, Version = "x" } };
        await using var probe = _stub.Client();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:environment"] = probe.Address,
            ["Runtara:Management:Transport"] = "Tcp",
            ["Runtara:Management:PinnedCertificatePath"] = null,
            ["Runtara:Management:SkipCertificateVerification"] = "true",
        });
        builder.AddRuntaraManagementClient("environment");
        using var host = builder.Build();

        var client = host.Services.GetRequiredService<RuntaraManagementClient>();
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(probe.Address, client.Address);
        Assert.True((await client.HealthAsync()).Healthy);
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }
}

using System.Reflection;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Core;
using Runtara.Environment.Hosting;
using Runtara.Environment.Images;
using Runtara.Environment.Instances;
using Runtara.Environment.Metrics;
using Runtara.Environment.Schedules;
using Runtara.Environment.Storage;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Environment.Rpc;

/// <summary>
/// The environment protocol (SPEC §6 plus the additions in docs/protocol.md). Every failure is a typed
/// <see cref="EnvironmentException"/>, turned into <c>RpcError{code, message}</c> by the RPC server in
/// one place; in-band <c>success=false</c> is never used (SPEC §19.19).
/// </summary>
internal sealed partial class EnvironmentRpcHandler(
    ImageService images,
    InstanceService instances,
    TenantMetricsService metrics,
    ScheduleService schedules,
    IEnvironmentStore store,
    ICoreClient core,
    IOptions<EnvironmentOptions> options,
    TimeProvider time,
    ILogger<EnvironmentRpcHandler> logger,
    InstanceDeletion deletion) : IRpcHandler<RpcRequest, RpcResponse>
{
    private const int DefaultLimit = 100;

    private static readonly string Version =
        typeof(EnvironmentRpcHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly EnvironmentOptions _options = options.Value;
    private readonly long _startedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds();

    public async ValueTask<RpcReply<RpcResponse>> HandleAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        var request = call.Request;
        try
        {
            return request.RequestCase switch
            {
                RpcRequest.RequestOneofCase.HealthCheck => new RpcResponse { HealthCheck = await HealthAsync(cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.RegisterImage => new RpcResponse { RegisterImage = await RegisterImageAsync(request.RegisterImage, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.RegisterImageStream => new RpcResponse { RegisterImage = await RegisterImageStreamAsync(request.RegisterImageStream, call.Upload!, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ListImages => new RpcResponse { ListImages = await ListImagesAsync(request.ListImages, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.GetImage => new RpcResponse { GetImage = await GetImageAsync(request.GetImage, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.DeleteImage => new RpcResponse { DeleteImage = await DeleteImageAsync(request.DeleteImage, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ListImageVersions => new RpcResponse { ListImageVersions = await ListImageVersionsAsync(request.ListImageVersions, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.DeleteImageVersion => new RpcResponse { DeleteImageVersion = await DeleteImageVersionAsync(request.DeleteImageVersion, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.StartInstance => new RpcResponse { StartInstance = await StartAsync(request.StartInstance, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.RerunInstance => new RpcResponse { RerunInstance = await ForkAsync(request.RerunInstance.InstanceId, request.RerunInstance.TenantId, null,
                    request.RerunInstance.HasNewInstanceId ? request.RerunInstance.NewInstanceId : null, request.RerunInstance.HasImageVersion ? request.RerunInstance.ImageVersion : null, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ForkInstance => new RpcResponse { ForkInstance = await ForkAsync(request.ForkInstance.InstanceId, request.ForkInstance.TenantId, request.ForkInstance.CheckpointId,
                    request.ForkInstance.HasNewInstanceId ? request.ForkInstance.NewInstanceId : null, request.ForkInstance.HasImageVersion ? request.ForkInstance.ImageVersion : null, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.StopInstance => new RpcResponse { StopInstance = await StopAsync(request.StopInstance, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ResumeInstance => new RpcResponse { ResumeInstance = await ResumeAsync(request.ResumeInstance, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.GetInstanceStatus => new RpcResponse { GetInstanceStatus = await StatusAsync(request.GetInstanceStatus, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ListInstances => new RpcResponse { ListInstances = await ListInstancesAsync(request.ListInstances, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.SendSignal => new RpcResponse { SendSignal = await SendSignalAsync(request.SendSignal, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.SendCustomSignal => new RpcResponse { SendCustomSignal = await SendCustomSignalAsync(request.SendCustomSignal, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ListCheckpoints => new RpcResponse { ListCheckpoints = await ListCheckpointsAsync(request.ListCheckpoints, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.GetCheckpoint => new RpcResponse { GetCheckpoint = await GetCheckpointAsync(request.GetCheckpoint, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ListEvents => new RpcResponse { ListEvents = await ListEventsAsync(request.ListEvents, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.ListRetryAttempts => new RpcResponse { ListRetryAttempts = await ListRetryAttemptsAsync(request.ListRetryAttempts, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.GetTenantMetrics => new RpcResponse { GetTenantMetrics = await GetTenantMetricsAsync(request.GetTenantMetrics, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.GetInstanceLogs => await GetLogsAsync(request.GetInstanceLogs, cancellationToken).ConfigureAwait(false),
                RpcRequest.RequestOneofCase.DeleteInstance => new RpcResponse { DeleteInstance = await DeleteInstanceAsync(request.DeleteInstance, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.CreateSchedule => new RpcResponse { CreateSchedule = await CreateScheduleAsync(request.CreateSchedule, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.GetSchedule => new RpcResponse { GetSchedule = Reply(await schedules.GetAsync(request.GetSchedule.ScheduleId, request.GetSchedule.TenantId, cancellationToken).ConfigureAwait(false)) },
                RpcRequest.RequestOneofCase.ListSchedules => new RpcResponse { ListSchedules = await ListSchedulesAsync(request.ListSchedules, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.PauseSchedule => new RpcResponse { PauseSchedule = Reply(await schedules.PauseAsync(request.PauseSchedule.ScheduleId, request.PauseSchedule.TenantId, cancellationToken).ConfigureAwait(false)) },
                RpcRequest.RequestOneofCase.UnpauseSchedule => new RpcResponse { UnpauseSchedule = Reply(await schedules.UnpauseAsync(request.UnpauseSchedule.ScheduleId, request.UnpauseSchedule.TenantId, cancellationToken).ConfigureAwait(false)) },
                RpcRequest.RequestOneofCase.TriggerSchedule => new RpcResponse { TriggerSchedule = await TriggerScheduleAsync(request.TriggerSchedule, cancellationToken).ConfigureAwait(false) },
                RpcRequest.RequestOneofCase.DeleteSchedule => new RpcResponse { DeleteSchedule = await DeleteScheduleAsync(request.DeleteSchedule, cancellationToken).ConfigureAwait(false) },
                _ => throw new RpcException(RpcErrorCodes.Unimplemented, $"runtara.environment/{request.RequestCase} is not served by this environment (the agent-catalogue RPCs are out of scope)"),
            };
        }
        catch (RuntaraException ex)
        {
            Log.RequestRejected(logger, call.Method, ex.Code, ex.Message);
            throw;
        }
    }

    private async Task<HealthCheckResponse> HealthAsync(CancellationToken cancellationToken)
    {
        var healthy = await store.PingAsync(cancellationToken).ConfigureAwait(false);
        long active = 0;
        if (healthy)
        {
            var counts = await store.CountRunsByStatusAsync(cancellationToken).ConfigureAwait(false);
            active = counts.GetValueOrDefault(RunStatus.Running) + counts.GetValueOrDefault(RunStatus.Suspended);
        }

        return new HealthCheckResponse
        {
            Healthy = healthy,
            Version = Version,
            UptimeMs = time.GetUtcNow().ToUnixTimeMilliseconds() - _startedAtMs,
            ActiveInstances = (uint)Math.Min(active, uint.MaxValue),
        };
    }

    private async Task<RegisterImageResponse> RegisterImageAsync(RegisterImageRequest request, CancellationToken cancellationToken)
    {
        var registration = new ImageRegistration(request.TenantId, request.Name, request.HasDescription ? request.Description : null, RunnerName(request.RunnerType),
            request.HasMetadata ? request.Metadata.ToByteArray() : null, (ulong)request.Binary.Length, Sha256: null);
        using var content = new MemoryStream(request.Binary.Memory.ToArray(), writable: false);
        var image = await images.RegisterAsync(registration, content, _options.MaxImageSize, cancellationToken).ConfigureAwait(false);
        return new RegisterImageResponse { Success = true, ImageId = image.ImageId };
    }

    private async Task<RegisterImageResponse> RegisterImageStreamAsync(RegisterImageStreamStart request, Stream upload, CancellationToken cancellationToken)
    {
        var registration = new ImageRegistration(request.TenantId, request.Name, request.HasDescription ? request.Description : null, RunnerName(request.RunnerType),
            request.HasMetadata ? request.Metadata.ToByteArray() : null, request.BinarySize, request.HasSha256 ? request.Sha256 : null);
        // Declared size over the limit, bad ids or metadata: refused before a byte of the body is read.
        images.Validate(registration, _options.MaxImageSize);
        var image = await images.RegisterAsync(registration, upload, _options.MaxImageSize, cancellationToken).ConfigureAwait(false);
        return new RegisterImageResponse { Success = true, ImageId = image.ImageId };
    }

    private async Task<ListImagesResponse> ListImagesAsync(ListImagesRequest request, CancellationToken cancellationToken)
    {
        var page = await images.ListAsync(request.HasTenantId && request.TenantId.Length > 0 ? request.TenantId : null, Limit(request.Limit), (int)Math.Min(request.Offset, int.MaxValue), cancellationToken).ConfigureAwait(false);
        var response = new ListImagesResponse { TotalCount = (uint)Math.Min(page.TotalCount, uint.MaxValue) };
        response.Images.AddRange(page.Items.Select(ToSummary));
        return response;
    }

    private async Task<GetImageResponse> GetImageAsync(GetImageRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var image = await images.GetAsync(request.ImageId, request.TenantId, cancellationToken).ConfigureAwait(false);
            return new GetImageResponse { Found = true, Image = ToSummary(image) };
        }
        catch (ImageNotFoundException)
        {
            return new GetImageResponse { Found = false };
        }
    }

    private async Task<DeleteImageResponse> DeleteImageAsync(DeleteImageRequest request, CancellationToken cancellationToken)
    {
        await images.DeleteAsync(request.ImageId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return new DeleteImageResponse { Success = true };
    }

    private async Task<ListImageVersionsResponse> ListImageVersionsAsync(ListImageVersionsRequest request, CancellationToken cancellationToken)
    {
        var response = new ListImageVersionsResponse();
        response.Versions.AddRange((await images.ListVersionsAsync(request.Image, request.TenantId, cancellationToken).ConfigureAwait(false)).Select(ToSummary));
        return response;
    }

    private async Task<DeleteImageVersionResponse> DeleteImageVersionAsync(DeleteImageVersionRequest request, CancellationToken cancellationToken)
    {
        await images.DeleteVersionAsync(request.ImageId, request.TenantId, (int)Math.Min(request.Version, int.MaxValue), cancellationToken).ConfigureAwait(false);
        return new DeleteImageVersionResponse { Success = true };
    }

    private async Task<DeleteInstanceResponse> DeleteInstanceAsync(DeleteInstanceRequest request, CancellationToken cancellationToken)
    {
        await deletion.DeleteAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return new DeleteInstanceResponse { Success = true };
    }

    private async Task<StartInstanceResponse> StartAsync(StartInstanceRequest request, CancellationToken cancellationToken)
    {
        var (instanceId, _) = await instances.StartAsync(new StartRequest(
            request.ImageId, request.TenantId, request.HasInstanceId ? request.InstanceId : null, request.Input.Memory,
            request.HasTimeoutSeconds ? request.TimeoutSeconds : null, request.Env, request.HasMaxRetries ? request.MaxRetries : null)
        {
            ImageVersion = request.HasImageVersion ? (int)Math.Min(request.ImageVersion, int.MaxValue) : null,
        }, cancellationToken).ConfigureAwait(false);
        return new StartInstanceResponse { Success = true, InstanceId = instanceId };
    }

    private async Task<ForkInstanceResponse> ForkAsync(string instanceId, string tenantId, string? checkpointId, string? newInstanceId, uint? imageVersion, CancellationToken cancellationToken)
    {
        var (forked, copied) = await instances.ForkAsync(
            new ForkRequest(instanceId, tenantId, checkpointId, newInstanceId, imageVersion is { } v ? (int)Math.Min(v, int.MaxValue) : null), cancellationToken).ConfigureAwait(false);
        return new ForkInstanceResponse { InstanceId = forked, CheckpointsCopied = (uint)copied };
    }

    private async Task<StopInstanceResponse> StopAsync(StopInstanceRequest request, CancellationToken cancellationToken)
    {
        var grace = request.GracePeriodSeconds > 0 ? TimeSpan.FromSeconds(request.GracePeriodSeconds) : _options.DefaultStopGracePeriod;
        await instances.StopAsync(request.InstanceId, request.TenantId, grace, request.Reason, cancellationToken).ConfigureAwait(false);
        return new StopInstanceResponse { Success = true };
    }

    private async Task<ResumeInstanceResponse> ResumeAsync(ResumeInstanceRequest request, CancellationToken cancellationToken)
    {
        await instances.ResumeAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return new ResumeInstanceResponse { Success = true };
    }

    private async Task<GetInstanceStatusResponse> StatusAsync(GetInstanceStatusRequest request, CancellationToken cancellationToken)
    {
        var details = await instances.GetAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return details is null
            ? new GetInstanceStatusResponse { Found = false, InstanceId = request.InstanceId, Status = InstanceStatus.StatusUnknown }
            : ToResponse(details);
    }

    private static GetInstanceStatusResponse ToResponse(InstanceDetails details)
    {
        var response = new GetInstanceStatusResponse
        {
            Found = true,
            InstanceId = details.InstanceId,
            Status = (InstanceStatus)(int)details.Status,
            TenantId = details.TenantId,
            CreatedAtMs = details.CreatedAtMs,
            ImageId = details.ImageId,
            ImageName = details.ImageName,
            ImageVersion = (uint)details.ImageVersion,
            RetryCount = (uint)details.RetryCount,
            MaxRetries = (uint)details.MaxRetries,
            LaunchCount = (uint)details.LaunchCount,
        };
        if (details.Origin is { } origin)
        {
            response.Origin = origin;
        }

        if (details.CheckpointId is { } checkpoint)
        {
            response.CheckpointId = checkpoint;
        }

        if (details.StartedAtMs is { } started)
        {
            response.StartedAtMs = started;
        }

        if (details.FinishedAtMs is { } finished)
        {
            response.FinishedAtMs = finished;
        }

        if (details.Output is { } output)
        {
            response.Output = output;
        }

        if (details.Error is { } error)
        {
            response.Error = error;
        }

        if (details.Input is { } input)
        {
            response.Input = ByteString.CopyFrom(input);
        }

        if (details.LastActivityMs is { } activity)
        {
            response.HeartbeatAtMs = activity;
            response.LastActivityMs = activity;
        }

        if (details.WaitingFor is { } waiting)
        {
            var copy = new WaitingFor { DeadlineMs = waiting.DeadlineMs, Children = waiting.Children, ChildrenEnded = waiting.ChildrenEnded };
            copy.SignalNames.AddRange(waiting.SignalNames);
            response.WaitingFor = copy;
        }

        if (details.ParentId is { } parent)
        {
            response.ParentId = parent;
        }

        if (details.WakeAtMs is { } wake)
        {
            response.WakeAtMs = wake;
        }

        if (details.MemoryPeakBytes is { } memory)
        {
            response.MemoryPeakBytes = (ulong)memory;
        }

        if (details.CpuUsageUsec is { } cpu)
        {
            response.CpuUsageUsec = (ulong)cpu;
        }

        if (details.Stderr is { } stderr)
        {
            response.Stderr = stderr;
        }

        if (details.ExitCode is { } exitCode)
        {
            response.ExitCode = exitCode;
        }

        if (details.Pid is { } pid)
        {
            response.Pid = pid;
        }

        return response;
    }

    private async Task<ListInstancesResponse> ListInstancesAsync(ListInstancesRequest request, CancellationToken cancellationToken)
    {
        var query = new RunQuery(
            request.HasTenantId && request.TenantId.Length > 0 ? request.TenantId : null,
            request.HasStatus ? FromProto(request.Status) : null,
            request.HasImageId && request.ImageId.Length > 0 ? request.ImageId : null,
            request.HasImageNamePrefix && request.ImageNamePrefix.Length > 0 ? request.ImageNamePrefix : null,
            request.HasCreatedAfterMs ? request.CreatedAfterMs : null,
            request.HasCreatedBeforeMs ? request.CreatedBeforeMs : null,
            request.HasFinishedAfterMs ? request.FinishedAfterMs : null,
            request.HasFinishedBeforeMs ? request.FinishedBeforeMs : null,
            request.HasOrderBy ? ParseOrder(request.OrderBy) : RunOrder.CreatedAtDesc,
            Limit(request.Limit),
            (int)Math.Min(request.Offset, int.MaxValue));
        var page = await instances.ListAsync(query, cancellationToken).ConfigureAwait(false);
        var response = new ListInstancesResponse { TotalCount = (uint)Math.Min(page.TotalCount, uint.MaxValue) };
        foreach (var run in page.Items)
        {
            var summary = new InstanceSummary
            {
                InstanceId = run.InstanceId,
                TenantId = run.TenantId,
                ImageId = run.ImageId,
                ImageName = run.ImageName,
                ImageVersion = (uint)run.ImageVersion,
                Status = ToProto(run.Status),
                CreatedAtMs = run.CreatedAtMs,
                HasError = run.Error is not null && run.Status == RunStatus.Failed,
            };
            if (run.StartedAtMs is { } started)
            {
                summary.StartedAtMs = started;
            }

            // A suspended run keeps the time its last process ended; it has not finished.
            if (run is { IsTerminal: true, FinishedAtMs: { } finished })
            {
                summary.FinishedAtMs = finished;
            }

            response.Instances.Add(summary);
        }

        return response;
    }

    private async Task<SendSignalResponse> SendSignalAsync(SendSignalRequest request, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(request.SignalType))
        {
            throw new InvalidArgumentException("signal_type", $"{(int)request.SignalType} is not a known signal");
        }

        await instances.SendSignalAsync(request.InstanceId, request.TenantId, (Mgmt.SignalType)(int)request.SignalType, request.Payload.ToByteArray(), cancellationToken).ConfigureAwait(false);
        return new SendSignalResponse { Success = true };
    }

    private async Task<SendCustomSignalResponse> SendCustomSignalAsync(SendCustomSignalRequest request, CancellationToken cancellationToken)
    {
        await instances.SendCustomSignalAsync(request.InstanceId, request.TenantId, request.CheckpointId, request.Payload.ToByteArray(), cancellationToken).ConfigureAwait(false);
        return new SendCustomSignalResponse { Success = true };
    }

    private async Task<ListCheckpointsResponse> ListCheckpointsAsync(ListCheckpointsRequest request, CancellationToken cancellationToken)
    {
        await instances.EnsureOwnedAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        // The two packages share field numbers 1–6 for these messages: re-parse instead of copying fields.
        var forwarded = Mgmt.ListCheckpointsRequest.Parser.ParseFrom(request.ToByteString());
        var answer = await core.ListCheckpointsAsync(forwarded, cancellationToken).ConfigureAwait(false);
        return ListCheckpointsResponse.Parser.ParseFrom(answer.ToByteString());
    }

    private async Task<GetCheckpointResponse> GetCheckpointAsync(GetCheckpointRequest request, CancellationToken cancellationToken)
    {
        InvalidArgumentException.ThrowIfEmpty(request.CheckpointId, "checkpoint_id");
        await instances.EnsureOwnedAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        var answer = await core.GetCheckpointAsync(request.InstanceId, request.CheckpointId, cancellationToken).ConfigureAwait(false);
        return GetCheckpointResponse.Parser.ParseFrom(answer.ToByteString());
    }

    private async Task<ListEventsResponse> ListEventsAsync(ListEventsRequest request, CancellationToken cancellationToken)
    {
        await instances.EnsureOwnedAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        var forwarded = Mgmt.ListEventsRequest.Parser.ParseFrom(request.ToByteString());
        var answer = await core.ListEventsAsync(forwarded, cancellationToken).ConfigureAwait(false);
        return ListEventsResponse.Parser.ParseFrom(answer.ToByteString());
    }

    private async Task<ListRetryAttemptsResponse> ListRetryAttemptsAsync(ListRetryAttemptsRequest request, CancellationToken cancellationToken)
    {
        await instances.EnsureOwnedAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        var forwarded = Mgmt.ListRetryAttemptsRequest.Parser.ParseFrom(request.ToByteString());
        var answer = await core.ListRetryAttemptsAsync(forwarded, cancellationToken).ConfigureAwait(false);
        return ListRetryAttemptsResponse.Parser.ParseFrom(answer.ToByteString());
    }

    private async Task<RpcReply<RpcResponse>> GetLogsAsync(GetInstanceLogsRequest request, CancellationToken cancellationToken)
    {
        var path = await instances.LogPathAsync(request.InstanceId, request.TenantId, request.Stream, cancellationToken).ConfigureAwait(false);
        // Opened without following a link: the instance owns its run directory while it runs (docs/security.md).
        var file = path is null ? null : Runner.UnixFiles.OpenReadNoFollow(path, 64 * 1024, FileOptions.Asynchronous);
        if (file is null)
        {
            return new RpcResponse { GetInstanceLogs = new GetInstanceLogsResponse { Found = false } };
        }

        var size = file.Length;
        var tail = request.TailBytes > 0 ? (long)Math.Min(request.TailBytes, (ulong)size) : size;
        file.Seek(size - tail, SeekOrigin.Begin);
        return RpcReply<RpcResponse>.Streamed(
            new RpcResponse { GetInstanceLogs = new GetInstanceLogsResponse { Found = true, SizeBytes = (ulong)size } },
            async (body, token) =>
            {
                await using (file.ConfigureAwait(false))
                {
                    var buffer = new byte[64 * 1024];
                    var remaining = tail;
                    int read;
                    while (remaining > 0 && (read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), token).ConfigureAwait(false)) > 0)
                    {
                        await body.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                        remaining -= read;
                    }
                }
            });
    }

    private async Task<GetTenantMetricsResponse> GetTenantMetricsAsync(GetTenantMetricsRequest request, CancellationToken cancellationToken)
    {
        var granularity = request.HasGranularity && request.Granularity == MetricsGranularity.GranularityDaily ? BucketGranularity.Daily : BucketGranularity.Hourly;
        var result = await metrics.GetAsync(request.TenantId, request.HasStartTimeMs ? request.StartTimeMs : null, request.HasEndTimeMs ? request.EndTimeMs : null,
            granularity, cancellationToken).ConfigureAwait(false);
        var response = new GetTenantMetricsResponse
        {
            TenantId = result.TenantId,
            StartTimeMs = result.StartMs,
            EndTimeMs = result.EndMs,
            Granularity = result.Granularity == BucketGranularity.Daily ? MetricsGranularity.GranularityDaily : MetricsGranularity.GranularityHourly,
        };
        foreach (var b in result.Buckets)
        {
            var bucket = new MetricsBucket
            {
                BucketTimeMs = b.BucketStartMs,
                InvocationCount = b.Invocations,
                SuccessCount = b.Completed,
                FailureCount = b.Failed,
                CancelledCount = b.Cancelled,
            };
            if (b.AvgDurationMs is { } avg)
            {
                bucket.AvgDurationMs = avg;
                bucket.MinDurationMs = b.MinDurationMs!.Value;
                bucket.MaxDurationMs = b.MaxDurationMs!.Value;
            }

            if (b.AvgMemoryBytes is { } avgMemory)
            {
                bucket.AvgMemoryBytes = (long)Math.Round(avgMemory);
                bucket.MaxMemoryBytes = b.MaxMemoryBytes!.Value;
            }

            if (b.SuccessRatePercent is { } rate)
            {
                bucket.SuccessRatePercent = rate;
            }

            response.Buckets.Add(bucket);
        }

        return response;
    }

    private int Limit(uint requested) => requested == 0 ? DefaultLimit : (int)Math.Min(requested, (uint)_options.MaxListLimit);

    private static ImageSummary ToSummary(ImageRecord image)
    {
        var summary = new ImageSummary
        {
            ImageId = image.ImageId,
            TenantId = image.TenantId,
            Name = image.Name,
            RunnerType = image.RunnerType switch { "native" => RunnerType.RunnerNative, "wasm" => RunnerType.RunnerWasm, _ => RunnerType.RunnerOci },
            CreatedAtMs = image.CreatedAtMs,
            Sha256 = image.Sha256,
            SizeBytes = (ulong)image.SizeBytes,
            Format = image.Format,
            Entrypoint = image.Entrypoint,
            UpdatedAtMs = image.UpdatedAtMs,
            Version = (uint)image.Version,
        };
        if (image.Description is not null)
        {
            summary.Description = image.Description;
        }

        return summary;
    }

    private static string RunnerName(RunnerType type) => type switch
    {
        RunnerType.RunnerNative => "native",
        RunnerType.RunnerWasm => "wasm",
        _ => "oci",
    };

    private static InstanceStatus ToProto(RunStatus status) => status switch
    {
        RunStatus.Pending => InstanceStatus.StatusPending,
        RunStatus.Running => InstanceStatus.StatusRunning,
        RunStatus.Suspended => InstanceStatus.StatusSuspended,
        RunStatus.Completed => InstanceStatus.StatusCompleted,
        RunStatus.Failed => InstanceStatus.StatusFailed,
        RunStatus.Cancelled => InstanceStatus.StatusCancelled,
        _ => InstanceStatus.StatusUnknown,
    };

    private static RunStatus? FromProto(InstanceStatus status) => status switch
    {
        InstanceStatus.StatusPending => RunStatus.Pending,
        InstanceStatus.StatusRunning => RunStatus.Running,
        InstanceStatus.StatusSuspended => RunStatus.Suspended,
        InstanceStatus.StatusCompleted => RunStatus.Completed,
        InstanceStatus.StatusFailed => RunStatus.Failed,
        InstanceStatus.StatusCancelled => RunStatus.Cancelled,
        _ => null,
    };

    private static RunOrder ParseOrder(string order) => order switch
    {
        "created_at_asc" => RunOrder.CreatedAtAsc,
        "finished_at_desc" => RunOrder.FinishedAtDesc,
        "finished_at_asc" => RunOrder.FinishedAtAsc,
        _ => RunOrder.CreatedAtDesc,
    };
}

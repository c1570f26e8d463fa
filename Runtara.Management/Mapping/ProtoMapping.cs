using System.Text.Json;
using Google.Protobuf;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Environment;
using ProtoGranularity = Runtara.Protocol.Environment.MetricsGranularity;

namespace Runtara.Management.Mapping;

/// <summary>
/// The client's models to environment-protocol requests and responses back to models, so
/// <see cref="RuntaraManagementClient"/> reads as calls. Status and signal enums go through the shared
/// <see cref="ProtoEnumMapping"/>; tenant defaults are the client's and arrive here resolved.
/// </summary>
internal static class ProtoMapping
{
    public static RegisterImageStreamStart ToRegisterImageStart(RegisterImageOptions options, string tenantId)
    {
        var start = new RegisterImageStreamStart
        {
            TenantId = tenantId,
            Name = options.Name,
            BinarySize = (ulong)Math.Max(0, options.Size),
            RunnerType = RunnerType.RunnerNative,
        };
        if (options.Description is not null)
        {
            start.Description = options.Description;
        }

        if (options.Sha256 is not null)
        {
            start.Sha256 = options.Sha256;
        }

        if (ImageMetadata(options) is { } metadata)
        {
            start.Metadata = ByteString.CopyFrom(metadata);
        }

        return start;
    }

    /// <param name="options">What to start.</param>
    /// <param name="tenantId">The resolved tenant.</param>
    /// <param name="input">Already-serialized JSON input, used instead of <see cref="StartInstanceOptions.Input"/> (the typed start).</param>
    public static StartInstanceRequest ToStartRequest(StartInstanceOptions options, string tenantId, byte[]? input = null)
    {
        var request = new StartInstanceRequest
        {
            ImageId = options.ImageId,
            TenantId = tenantId,
            Input = input is not null ? ByteString.CopyFrom(input)
                : string.IsNullOrEmpty(options.Input) ? ByteString.Empty : ByteString.CopyFromUtf8(options.Input),
        };
        if (!string.IsNullOrEmpty(options.InstanceId))
        {
            request.InstanceId = options.InstanceId;
        }

        if (options.TimeoutSeconds is { } timeout)
        {
            request.TimeoutSeconds = timeout;
        }

        if (options.ImageVersion is { } version)
        {
            request.ImageVersion = (uint)version;
        }

        if (options.MaxRetries is { } retries)
        {
            request.MaxRetries = retries;
        }

        request.Env.Add(options.Environment);
        return request;
    }

    public static StopInstanceRequest ToStopRequest(string instanceId, StopInstanceOptions options, string tenantId) => new()
    {
        InstanceId = instanceId,
        GracePeriodSeconds = (uint)Math.Max(1, Math.Ceiling(options.GracePeriod.TotalSeconds)),
        Reason = options.Reason,
        TenantId = tenantId,
    };

    /// <param name="options">The caller's filters, order and page.</param>
    /// <param name="tenantId">Left unset when null (the environment then lists every tenant the key may see).</param>
    public static ListInstancesRequest ToListRequest(ListInstancesOptions options, string? tenantId)
    {
        var request = new ListInstancesRequest
        {
            Limit = (uint)Math.Max(0, options.Limit),
            Offset = (uint)Math.Max(0, options.Offset),
            OrderBy = options.Order switch
            {
                InstanceOrder.CreatedAtAsc => "created_at_asc",
                InstanceOrder.FinishedAtDesc => "finished_at_desc",
                InstanceOrder.FinishedAtAsc => "finished_at_asc",
                _ => "created_at_desc",
            },
        };
        if (tenantId is not null)
        {
            request.TenantId = tenantId;
        }

        if (options.Status is { } status)
        {
            request.Status = status.ToEnvironmentProto();
        }

        if (options.ImageId is not null)
        {
            request.ImageId = options.ImageId;
        }

        if (options.ImageNamePrefix is not null)
        {
            request.ImageNamePrefix = options.ImageNamePrefix;
        }

        if (options.CreatedAfter is { } ca)
        {
            request.CreatedAfterMs = ca.ToUnixTimeMilliseconds();
        }

        if (options.CreatedBefore is { } cb)
        {
            request.CreatedBeforeMs = cb.ToUnixTimeMilliseconds();
        }

        if (options.FinishedAfter is { } fa)
        {
            request.FinishedAfterMs = fa.ToUnixTimeMilliseconds();
        }

        if (options.FinishedBefore is { } fb)
        {
            request.FinishedBeforeMs = fb.ToUnixTimeMilliseconds();
        }

        return request;
    }

    public static ProtoGranularity ToProto(MetricsGranularity granularity) =>
        granularity == MetricsGranularity.Daily ? ProtoGranularity.GranularityDaily : ProtoGranularity.GranularityHourly;

    public static HealthInfo ToHealth(HealthCheckResponse h) => new(h.Healthy, h.Version, h.UptimeMs, h.ActiveInstances);

    public static ImageInfo ToImage(ImageSummary i) => new(
        i.ImageId, i.TenantId, i.Name, i.HasDescription ? i.Description : null,
        i.RunnerType switch { RunnerType.RunnerNative => "native", RunnerType.RunnerWasm => "wasm", _ => "oci" },
        i.Sha256, (long)i.SizeBytes, i.Format, i.Entrypoint, Time(i.CreatedAtMs), i.UpdatedAtMs > 0 ? Time(i.UpdatedAtMs) : null)
    {
        Version = i.Version > 0 ? (int)i.Version : 1,
    };

    public static ImageList ToImageList(ListImagesResponse response) => new([.. response.Images.Select(ToImage)], response.TotalCount);

    public static InstanceInfo ToInstance(GetInstanceStatusResponse s) => new()
    {
        InstanceId = s.InstanceId,
        TenantId = s.TenantId,
        Status = s.Status.ToContract(),
        ImageId = s.ImageId,
        ImageName = s.ImageName,
        ImageVersion = s.ImageVersion > 0 ? (int)s.ImageVersion : 1,
        CheckpointId = s.HasCheckpointId ? s.CheckpointId : null,
        CreatedAt = Time(s.CreatedAtMs),
        StartedAt = s.HasStartedAtMs ? Time(s.StartedAtMs) : null,
        FinishedAt = s.HasFinishedAtMs ? Time(s.FinishedAtMs) : null,
        Output = s.HasOutput ? Json(s.Output) : null,
        Error = s.HasError ? s.Error : null,
        Input = s.HasInput ? Json(s.Input) : null,
        LastActivityAt = s.HasLastActivityMs ? Time(s.LastActivityMs) : s.HasHeartbeatAtMs ? Time(s.HeartbeatAtMs) : null,
        WakeAt = s.HasWakeAtMs ? Time(s.WakeAtMs) : null,
        RetryCount = (int)s.RetryCount,
        MaxRetries = (int)s.MaxRetries,
        LaunchCount = (int)s.LaunchCount,
        Origin = s.HasOrigin ? s.Origin : null,
        MemoryPeakBytes = s.HasMemoryPeakBytes ? (long)s.MemoryPeakBytes : null,
        CpuUsageUsec = s.HasCpuUsageUsec ? (long)s.CpuUsageUsec : null,
        ExitCode = s.HasExitCode ? s.ExitCode : null,
        Pid = s.HasPid ? s.Pid : null,
        Stderr = s.HasStderr ? s.Stderr : null,
        WaitingFor = s.WaitingFor is { } waiting ? ToWaitingFor(waiting) : null,
        ParentId = s.HasParentId && s.ParentId.Length > 0 ? s.ParentId : null,
    };

    /// <summary>A deadline of 0 means none; the counts arrive unsigned.</summary>
    public static WaitingForInfo ToWaitingFor(WaitingFor w) => new(
        [.. w.SignalNames], w.DeadlineMs > 0 ? Time(w.DeadlineMs) : null, (int)Math.Min(w.Children, int.MaxValue), (int)Math.Min(w.ChildrenEnded, int.MaxValue));

    public static InstanceList ToInstanceList(ListInstancesResponse response) => new(
        [.. response.Instances.Select(i => new InstanceSummaryInfo(i.InstanceId, i.TenantId, i.ImageId, i.Status.ToContract(), Time(i.CreatedAtMs),
            i.HasStartedAtMs ? Time(i.StartedAtMs) : null, i.HasFinishedAtMs ? Time(i.FinishedAtMs) : null, i.HasError, i.ImageName))],
        response.TotalCount);

    public static CheckpointList ToCheckpointList(ListCheckpointsResponse response) => new(
        [.. response.Checkpoints.Select(c => new CheckpointInfo(c.CheckpointId, c.InstanceId, Time(c.CreatedAtMs), (long)c.DataSizeBytes))],
        response.TotalCount, (int)response.Limit, (int)response.Offset, response.HasNextOffset ? (int)response.NextOffset : null);

    public static CheckpointData ToCheckpointData(GetCheckpointResponse response) =>
        new(response.CheckpointId, response.InstanceId, Time(response.CreatedAtMs), response.Data.ToByteArray());

    public static EventList ToEventList(ListEventsResponse response) => new(
        [.. response.Events.Select(e => new EventInfo(e.Id, e.InstanceId, e.EventType, e.HasSubtype ? e.Subtype : null, e.HasCheckpointId ? e.CheckpointId : null,
            Time(e.CreatedAtMs), e.HasPayload ? e.Payload.ToByteArray() : null))],
        response.TotalCount, (int)response.Limit, (int)response.Offset, response.HasNextOffset ? (int)response.NextOffset : null);

    public static RetryAttemptList ToRetryAttemptList(ListRetryAttemptsResponse response) => new(
        [.. response.Attempts.Select(a => new RetryAttemptInfo(a.InstanceId, a.CheckpointId, (int)a.AttemptNumber, a.HasErrorMessage ? a.ErrorMessage : null, Time(a.CreatedAtMs)))],
        response.TotalCount, (int)response.Limit, (int)response.Offset, response.HasNextOffset ? (int)response.NextOffset : null);

    /// <summary>Durations arrive in milliseconds and are reported in seconds, as the original SDK did.</summary>
    public static TenantMetrics ToTenantMetrics(GetTenantMetricsResponse response) => new(
        response.TenantId, Time(response.StartTimeMs), Time(response.EndTimeMs),
        response.Granularity == ProtoGranularity.GranularityDaily ? MetricsGranularity.Daily : MetricsGranularity.Hourly,
        [.. response.Buckets.Select(b => new MetricsBucketInfo(
            Time(b.BucketTimeMs), b.InvocationCount, b.SuccessCount, b.FailureCount, b.CancelledCount,
            b.HasAvgDurationMs ? b.AvgDurationMs / 1000 : null, b.HasMinDurationMs ? b.MinDurationMs / 1000 : null, b.HasMaxDurationMs ? b.MaxDurationMs / 1000 : null,
            b.HasAvgMemoryBytes ? b.AvgMemoryBytes : null, b.HasMaxMemoryBytes ? b.MaxMemoryBytes : null, b.HasSuccessRatePercent ? b.SuccessRatePercent : null))]);

    /// <summary>The image's metadata JSON: <see cref="RegisterImageOptions.Metadata"/> with the entrypoint set over it; null when neither is given.</summary>
    private static byte[]? ImageMetadata(RegisterImageOptions options)
    {
        if (options.Metadata is null && options.Entrypoint is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (options.Metadata is { ValueKind: JsonValueKind.Object } metadata)
            {
                foreach (var property in metadata.EnumerateObject().Where(p => options.Entrypoint is null || p.Name != "entrypoint"))
                {
                    property.WriteTo(writer);
                }
            }

            if (options.Entrypoint is not null)
            {
                writer.WriteString("entrypoint", options.Entrypoint);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>Output and input are JSON when they parse; anything else (or nothing) is null.</summary>
    private static JsonElement? Json(ByteString bytes)
    {
        if (bytes.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes.Memory);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

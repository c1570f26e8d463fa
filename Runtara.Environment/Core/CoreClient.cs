using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Security;
using Runtara.Protocol.Management;
using Runtara.Protocol.Rpc;

namespace Runtara.Environment.Core;

/// <summary>The management-protocol client of the core, with the core's error codes mapped to the environment's exceptions.</summary>
internal sealed class CoreClient : ICoreClient, IAsyncDisposable
{
    private readonly RpcClient<RpcRequest, RpcResponse> _client;

    public CoreClient(IOptions<EnvironmentOptions> options, TokenIssuer tokens, ILogger<CoreClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokens);
        var settings = options.Value;
        _client = new RpcClient<RpcRequest, RpcResponse>(
            new RpcClientOptions
            {
                // One address or a list of the cores of one database (the client fails over between them).
                Address = settings.CoreAddress ?? "127.0.0.1:8003",
                Transport = settings.Transport,
                Tls = settings.CoreTls,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                DefaultDeadline = TimeSpan.FromSeconds(30),
                MaxConnections = 64,
                CredentialProvider = tokens.ServiceToken,
            },
            logger);
    }

    public string Address => _client.Address;

    public async Task<HealthCheckResponse> HealthAsync(CancellationToken cancellationToken) =>
        (await CallAsync("health check", new RpcRequest { HealthCheck = new HealthCheckRequest() }, cancellationToken).ConfigureAwait(false)).HealthCheck;

    public async Task<CreateInstanceResponse> CreateInstanceAsync(string instanceId, string tenantId, CancellationToken cancellationToken) =>
        (await CallAsync("create instance", new RpcRequest { CreateInstance = new CreateInstanceRequest { InstanceId = instanceId, TenantId = tenantId } }, cancellationToken).ConfigureAwait(false)).CreateInstance;

    public async Task<GetInstanceStatusResponse?> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            var response = (await CallAsync("get instance status", new RpcRequest { GetInstanceStatus = new GetInstanceStatusRequest { InstanceId = instanceId } }, cancellationToken).ConfigureAwait(false)).GetInstanceStatus;
            return response.Status == InstanceStatus.StatusUnknown ? null : response;
        }
        catch (InstanceNotFoundException)
        {
            return null;
        }
    }

    public async Task<FinishInstanceResponse> FinishAsync(string instanceId, InstanceStatus status, string? error, byte[]? output, InstanceStatus? expected, CancellationToken cancellationToken)
    {
        var request = new FinishInstanceRequest { InstanceId = instanceId, Status = status };
        if (error is not null)
        {
            request.Error = error;
        }

        if (output is not null)
        {
            request.Output = ByteString.CopyFrom(output);
        }

        if (expected is { } expectedStatus)
        {
            request.ExpectedStatus = expectedStatus;
        }

        return (await CallAsync("finish instance", new RpcRequest { FinishInstance = request }, cancellationToken).ConfigureAwait(false)).FinishInstance;
    }

    public async Task<ListDueWakeupsResponse> ListDueWakeupsAsync(int limit, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken)
    {
        var request = new RpcRequest
        {
            ListDueWakeups = new ListDueWakeupsRequest { Limit = (uint)limit, LeaseMs = (ulong)lease.TotalMilliseconds, WaitMs = (uint)wait.TotalMilliseconds },
        };
        try
        {
            // The core holds a long poll up to wait: the deadline allows for it.
            return (await _client.CallAsync(request, wait + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false)).ListDueWakeups;
        }
        catch (RpcException ex)
        {
            throw Map("list due wake-ups", request, ex);
        }
    }

    public async Task<IReadOnlyList<InstanceSummary>> ListSilentInstancesAsync(InstanceStatus status, long activityBeforeMs, int limit, CancellationToken cancellationToken)
    {
        var response = await CallAsync("list instances", new RpcRequest
        {
            ListInstances = new ListInstancesRequest { Status = status, LastActivityBeforeMs = activityBeforeMs, Limit = (uint)limit },
        }, cancellationToken).ConfigureAwait(false);
        return response.ListInstances.Instances;
    }

    public Task SendSignalAsync(string instanceId, SignalType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        CallAsync("send signal", new RpcRequest
        {
            SendSignal = new SendSignalRequest { InstanceId = instanceId, SignalType = type, Payload = ByteString.CopyFrom(payload.Span) },
        }, cancellationToken);

    public Task SendCustomSignalAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        CallAsync("send custom signal", new RpcRequest
        {
            SendCustomSignal = new SendCustomSignalRequest { InstanceId = instanceId, CheckpointId = checkpointId, Payload = ByteString.CopyFrom(payload.Span) },
        }, cancellationToken);

    public async Task<ListCheckpointsResponse> ListCheckpointsAsync(ListCheckpointsRequest request, CancellationToken cancellationToken) =>
        (await CallAsync("list checkpoints", new RpcRequest { ListCheckpoints = request }, cancellationToken).ConfigureAwait(false)).ListCheckpoints;

    public async Task<GetCheckpointResponse> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken) =>
        (await CallAsync("get checkpoint", new RpcRequest { GetCheckpoint = new GetCheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId } }, cancellationToken).ConfigureAwait(false)).GetCheckpoint;

    public async Task<ListEventsResponse> ListEventsAsync(ListEventsRequest request, CancellationToken cancellationToken) =>
        (await CallAsync("list events", new RpcRequest { ListEvents = request }, cancellationToken).ConfigureAwait(false)).ListEvents;

    public async Task<ListRetryAttemptsResponse> ListRetryAttemptsAsync(ListRetryAttemptsRequest request, CancellationToken cancellationToken) =>
        (await CallAsync("list retry attempts", new RpcRequest { ListRetryAttempts = request }, cancellationToken).ConfigureAwait(false)).ListRetryAttempts;

    public Task DeleteInstanceAsync(string instanceId, string tenantId, CancellationToken cancellationToken) =>
        CallAsync("delete instance", new RpcRequest { DeleteInstance = new DeleteInstanceRequest { InstanceId = instanceId, TenantId = tenantId } }, cancellationToken);

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    public async Task<CopyCheckpointsResponse> CopyCheckpointsAsync(string sourceId, string targetId, string tenantId, string? upToCheckpointId, CancellationToken cancellationToken)
    {
        var request = new CopyCheckpointsRequest { SourceInstanceId = sourceId, TargetInstanceId = targetId, TenantId = tenantId };
        if (upToCheckpointId is not null)
        {
            request.UpToCheckpointId = upToCheckpointId;
        }

        return (await CallAsync("copy checkpoints", new RpcRequest { CopyCheckpoints = request }, cancellationToken).ConfigureAwait(false)).CopyCheckpoints;
    }

    private async Task<RpcResponse> CallAsync(string operation, RpcRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CallAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Map(operation, request, ex);
        }
    }

    private static Exception Map(string operation, RpcRequest request, RpcException ex)
    {
        var instanceId = InstanceIdOf(request);
        return ex.Code switch
        {
            "INSTANCE_NOT_FOUND" => new InstanceNotFoundException(instanceId),
            "INVALID_INSTANCE_STATE" => new CoreRejectedException(EnvironmentErrorCodes.InvalidInstanceState, ex.Message, ex),
            "VALIDATION_ERROR" or "CHECKPOINT_NOT_FOUND" => new CoreRejectedException(EnvironmentErrorCodes.InvalidArgument, ex.Message, ex),
            "INSTANCE_ALREADY_EXISTS" or "TENANT_MISMATCH" => new InstanceAlreadyExistsException(instanceId, "for another tenant"),
            _ => new CoreUnavailableException(operation, ex),
        };
    }

    private static string InstanceIdOf(RpcRequest request) => request.RequestCase switch
    {
        RpcRequest.RequestOneofCase.CreateInstance => request.CreateInstance.InstanceId,
        RpcRequest.RequestOneofCase.GetInstanceStatus => request.GetInstanceStatus.InstanceId,
        RpcRequest.RequestOneofCase.FinishInstance => request.FinishInstance.InstanceId,
        RpcRequest.RequestOneofCase.SendSignal => request.SendSignal.InstanceId,
        RpcRequest.RequestOneofCase.SendCustomSignal => request.SendCustomSignal.InstanceId,
        RpcRequest.RequestOneofCase.ListCheckpoints => request.ListCheckpoints.InstanceId,
        RpcRequest.RequestOneofCase.GetCheckpoint => request.GetCheckpoint.InstanceId,
        RpcRequest.RequestOneofCase.ListEvents => request.ListEvents.InstanceId,
        RpcRequest.RequestOneofCase.ListRetryAttempts => request.ListRetryAttempts.InstanceId,
        RpcRequest.RequestOneofCase.CopyCheckpoints => request.CopyCheckpoints.SourceInstanceId,
        RpcRequest.RequestOneofCase.DeleteInstance => request.DeleteInstance.InstanceId,
        _ => string.Empty,
    };
}

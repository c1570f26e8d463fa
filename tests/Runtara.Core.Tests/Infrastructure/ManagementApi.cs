using Google.Protobuf;
using Runtara.Protocol.Management;
using Runtara.Protocol.Rpc;

namespace Runtara.Core.Tests.Infrastructure;

/// <summary>Terse calls of the management protocol for tests.</summary>
public sealed class ManagementApi(RpcClient<RpcRequest, RpcResponse> client) : IAsyncDisposable
{
    public RpcClient<RpcRequest, RpcResponse> Client { get; } = client;

    public async Task<SendSignalResponse> SendSignalAsync(string instanceId, SignalType type, byte[]? payload = null) =>
        (await Client.CallAsync(new RpcRequest { SendSignal = new SendSignalRequest { InstanceId = instanceId, SignalType = type, Payload = ByteString.CopyFrom(payload ?? []) } })).SendSignal;

    public async Task<SendCustomSignalResponse> SendCustomSignalAsync(string instanceId, string checkpointId, byte[] payload) =>
        (await Client.CallAsync(new RpcRequest { SendCustomSignal = new SendCustomSignalRequest { InstanceId = instanceId, CheckpointId = checkpointId, Payload = ByteString.CopyFrom(payload) } })).SendCustomSignal;

    public async Task<GetInstanceStatusResponse> StatusAsync(string instanceId) =>
        (await Client.CallAsync(new RpcRequest { GetInstanceStatus = new GetInstanceStatusRequest { InstanceId = instanceId } })).GetInstanceStatus;

    public async Task<CreateInstanceResponse> CreateAsync(string instanceId, string tenantId) =>
        (await Client.CallAsync(new RpcRequest { CreateInstance = new CreateInstanceRequest { InstanceId = instanceId, TenantId = tenantId } })).CreateInstance;

    public async Task<FinishInstanceResponse> FinishAsync(string instanceId, InstanceStatus status, string? error = null, InstanceStatus? expected = null, byte[]? output = null)
    {
        var request = new FinishInstanceRequest { InstanceId = instanceId, Status = status };
        if (error is not null)
        {
            request.Error = error;
        }

        if (expected is { } e)
        {
            request.ExpectedStatus = e;
        }

        if (output is not null)
        {
            request.Output = ByteString.CopyFrom(output);
        }

        return (await Client.CallAsync(new RpcRequest { FinishInstance = request })).FinishInstance;
    }

    public async Task<ListInstancesResponse> ListInstancesAsync(ListInstancesRequest request) =>
        (await Client.CallAsync(new RpcRequest { ListInstances = request })).ListInstances;

    public async Task<ListCheckpointsResponse> ListCheckpointsAsync(ListCheckpointsRequest request) =>
        (await Client.CallAsync(new RpcRequest { ListCheckpoints = request })).ListCheckpoints;

    public async Task<GetCheckpointResponse> GetCheckpointAsync(string instanceId, string checkpointId) =>
        (await Client.CallAsync(new RpcRequest { GetCheckpoint = new GetCheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId } })).GetCheckpoint;

    public async Task<ListEventsResponse> ListEventsAsync(ListEventsRequest request) =>
        (await Client.CallAsync(new RpcRequest { ListEvents = request })).ListEvents;

    public async Task<ListRetryAttemptsResponse> ListRetryAttemptsAsync(ListRetryAttemptsRequest request) =>
        (await Client.CallAsync(new RpcRequest { ListRetryAttempts = request })).ListRetryAttempts;

    public async Task<ListDueWakeupsResponse> ListDueWakeupsAsync(uint limit = 0, ulong leaseMs = 0, uint waitMs = 0) =>
        (await Client.CallAsync(new RpcRequest { ListDueWakeups = new ListDueWakeupsRequest { Limit = limit, LeaseMs = leaseMs, WaitMs = waitMs } }, TimeSpan.FromMilliseconds(waitMs) + TimeSpan.FromSeconds(30))).ListDueWakeups;

    public async Task<CopyCheckpointsResponse> CopyCheckpointsAsync(string sourceId, string targetId, string tenantId, string? upTo = null)
    {
        var request = new CopyCheckpointsRequest { SourceInstanceId = sourceId, TargetInstanceId = targetId, TenantId = tenantId };
        if (upTo is not null)
        {
            request.UpToCheckpointId = upTo;
        }

        return (await Client.CallAsync(new RpcRequest { CopyCheckpoints = request })).CopyCheckpoints;
    }

    public async Task<HealthCheckResponse> HealthAsync() =>
        (await Client.CallAsync(new RpcRequest { HealthCheck = new HealthCheckRequest() })).HealthCheck;

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}

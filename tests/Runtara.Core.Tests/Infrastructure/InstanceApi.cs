using Google.Protobuf;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;

namespace Runtara.Core.Tests.Infrastructure;

/// <summary>Terse calls of the instance protocol for tests; every call goes over the wire.</summary>
public sealed class InstanceApi(RpcClient<RpcRequest, RpcResponse> client) : IAsyncDisposable
{
    public RpcClient<RpcRequest, RpcResponse> Client { get; } = client;

    public async Task<RegisterInstanceResponse> RegisterAsync(string instanceId, string tenantId, string? checkpointId = null)
    {
        var request = new RegisterInstanceRequest { InstanceId = instanceId, TenantId = tenantId };
        if (checkpointId is not null)
        {
            request.CheckpointId = checkpointId;
        }

        return (await Client.CallAsync(new RpcRequest { RegisterInstance = request })).RegisterInstance;
    }

    public async Task<CheckpointResponse> CheckpointAsync(string instanceId, string checkpointId, byte[] state) =>
        (await Client.CallAsync(new RpcRequest { Checkpoint = new CheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId, State = ByteString.CopyFrom(state) } })).Checkpoint;

    public async Task<GetCheckpointResponse> GetCheckpointAsync(string instanceId, string checkpointId) =>
        (await Client.CallAsync(new RpcRequest { GetCheckpoint = new GetCheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId } })).GetCheckpoint;

    public async Task<GetInstanceStatusResponse> StatusAsync(string instanceId) =>
        (await Client.CallAsync(new RpcRequest { GetInstanceStatus = new GetInstanceStatusRequest { InstanceId = instanceId } })).GetInstanceStatus;

    public async Task<SleepResponse> SleepAsync(string instanceId, ulong durationMs, string checkpointId = "", byte[]? state = null) =>
        (await Client.CallAsync(new RpcRequest
        {
            Sleep = new SleepRequest { InstanceId = instanceId, DurationMs = durationMs, CheckpointId = checkpointId, State = ByteString.CopyFrom(state ?? []) },
        })).Sleep;

    public async Task<PollSignalsResponse> PollAsync(string instanceId, string? checkpointId = null, string? storeAsCheckpointId = null)
    {
        var request = new PollSignalsRequest { InstanceId = instanceId };
        if (checkpointId is not null)
        {
            request.CheckpointId = checkpointId;
        }

        if (storeAsCheckpointId is not null)
        {
            request.StoreAsCheckpointId = storeAsCheckpointId;
        }

        return (await Client.CallAsync(new RpcRequest { PollSignals = request })).PollSignals;
    }

    public async Task<WaitResponse> WaitAsync(string instanceId, string checkpointId, string[] signals, string[]? children = null, ulong? timeoutMs = null, bool suspend = true)
    {
        var request = new WaitRequest { InstanceId = instanceId, CheckpointId = checkpointId, Suspend = suspend };
        request.SignalNames.AddRange(signals);
        request.ChildIds.AddRange(children ?? []);
        if (timeoutMs is { } timeout)
        {
            request.TimeoutMs = timeout;
        }

        return (await Client.CallAsync(new RpcRequest { Wait = request })).Wait;
    }

    public async Task<StartChildResponse> StartChildAsync(string instanceId, string key, string image, byte[]? input = null, bool detached = false) =>
        (await Client.CallAsync(new RpcRequest
        {
            StartChild = new StartChildRequest { InstanceId = instanceId, Key = key, Image = image, Input = ByteString.CopyFrom(input ?? []), Detached = detached },
        })).StartChild;

    public Task AckAsync(string instanceId, SignalType type, bool acknowledged = true) =>
        Client.SendAsync(new RpcRequest { SignalAck = new SignalAck { InstanceId = instanceId, SignalType = type, Acknowledged = acknowledged } });

    public async Task<InstanceEventResponse> EventAsync(string instanceId, InstanceEventType type, byte[]? payload = null, string? subtype = null, string? checkpointId = null)
    {
        var instanceEvent = NewEvent(instanceId, type, payload, subtype, checkpointId);
        return (await Client.CallAsync(new RpcRequest { InstanceEvent = instanceEvent })).InstanceEvent;
    }

    public Task EventBatchAsync(params InstanceEvent[] events)
    {
        var batch = new InstanceEventBatch();
        batch.Events.AddRange(events);
        return Client.SendAsync(new RpcRequest { InstanceEventBatch = batch });
    }

    public Task RetryAttemptAsync(string instanceId, string checkpointId, uint attempt, string? error = null)
    {
        var request = new RetryAttemptEvent { InstanceId = instanceId, CheckpointId = checkpointId, AttemptNumber = attempt, TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        if (error is not null)
        {
            request.ErrorMessage = error;
        }

        return Client.SendAsync(new RpcRequest { RetryAttempt = request });
    }

    public static InstanceEvent NewEvent(string instanceId, InstanceEventType type, byte[]? payload = null, string? subtype = null, string? checkpointId = null)
    {
        var instanceEvent = new InstanceEvent
        {
            InstanceId = instanceId,
            EventType = type,
            Payload = ByteString.CopyFrom(payload ?? []),
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        if (subtype is not null)
        {
            instanceEvent.Subtype = subtype;
        }

        if (checkpointId is not null)
        {
            instanceEvent.CheckpointId = checkpointId;
        }

        return instanceEvent;
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}

using System.Reflection;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Runtara.Engine;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Events;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;
using Runtara.Engine.Storage;
using Runtara.Engine.Waits;
using Runtara.Protocol.Management;
using Runtara.Protocol.Rpc;
using CoreStatus = Runtara.Protocol.Contracts.InstanceStatus;
using StoreDueWakeup = Runtara.Engine.Storage.DueWakeup;

namespace Runtara.Core.Rpc;

/// <summary>
/// The management protocol (SPEC §5 plus the additions in docs/protocol.md), served on its own
/// port for the environment. Failures are typed exceptions mapped to <c>RpcError</c> by the server.
/// </summary>
internal sealed class ManagementRpcHandler(
    ICoreStore store,
    InstanceService instances,
    CheckpointService checkpoints,
    SignalService signals,
    EventService events,
    DueWorkService dueWork,
    TimeProvider time,
    IOptions<EngineOptions> options,
    RetentionService retention) : IRpcHandler<RpcRequest, RpcResponse>
{
    private const int DefaultLimit = 100;

    private static readonly TimeSpan MaxLongPoll = TimeSpan.FromSeconds(25);

    private static readonly string Version =
        typeof(ManagementRpcHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly long _startedAtMs = time.NowMs();
    private readonly EngineOptions _options = options.Value;

    public async ValueTask<RpcReply<RpcResponse>> HandleAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        var request = call.Request;
        return request.RequestCase switch
        {
            RpcRequest.RequestOneofCase.HealthCheck => new RpcResponse { HealthCheck = await HealthAsync(cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.SendSignal => new RpcResponse { SendSignal = await SendSignalAsync(request.SendSignal, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.SendCustomSignal => new RpcResponse { SendCustomSignal = await SendCustomSignalAsync(request.SendCustomSignal, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.GetInstanceStatus => new RpcResponse { GetInstanceStatus = await GetStatusAsync(request.GetInstanceStatus.InstanceId, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.ListInstances => new RpcResponse { ListInstances = await ListInstancesAsync(request.ListInstances, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.ListCheckpoints => new RpcResponse { ListCheckpoints = await ListCheckpointsAsync(request.ListCheckpoints, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.GetCheckpoint => new RpcResponse { GetCheckpoint = await GetCheckpointAsync(request.GetCheckpoint, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.CreateInstance => new RpcResponse { CreateInstance = await CreateInstanceAsync(request.CreateInstance, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.CopyCheckpoints => new RpcResponse { CopyCheckpoints = await CopyCheckpointsAsync(request.CopyCheckpoints, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.ListDueWakeups => new RpcResponse { ListDueWakeups = await ListDueWakeupsAsync(request.ListDueWakeups, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.FinishInstance => new RpcResponse { FinishInstance = await FinishInstanceAsync(request.FinishInstance, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.ListEvents => new RpcResponse { ListEvents = await ListEventsAsync(request.ListEvents, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.ListRetryAttempts => new RpcResponse { ListRetryAttempts = await ListRetryAttemptsAsync(request.ListRetryAttempts, cancellationToken).ConfigureAwait(false) },
            RpcRequest.RequestOneofCase.DeleteInstance => new RpcResponse { DeleteInstance = await DeleteInstanceAsync(request.DeleteInstance, cancellationToken).ConfigureAwait(false) },
            _ => throw new RpcException(RpcErrorCodes.Unimplemented, $"runtara.management/{request.RequestCase} is not served by this core"),
        };
    }

    private async Task<DeleteInstanceResponse> DeleteInstanceAsync(DeleteInstanceRequest request, CancellationToken cancellationToken)
    {
        await retention.DeleteAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return new DeleteInstanceResponse { Deleted = true };
    }

    private async Task<HealthCheckResponse> HealthAsync(CancellationToken cancellationToken)
    {
        var healthy = await store.PingAsync(cancellationToken).ConfigureAwait(false);
        long active = 0;
        if (healthy)
        {
            var counts = await store.CountInstancesByStatusAsync(cancellationToken).ConfigureAwait(false);
            active = counts.GetValueOrDefault(CoreStatus.Running) + counts.GetValueOrDefault(CoreStatus.Suspended);
        }

        return new HealthCheckResponse
        {
            Healthy = healthy,
            Version = Version,
            UptimeMs = time.NowMs() - _startedAtMs,
            ActiveInstances = (uint)Math.Min(active, uint.MaxValue),
        };
    }

    private async Task<SendSignalResponse> SendSignalAsync(SendSignalRequest request, CancellationToken cancellationToken)
    {
        await signals.SendAsync(request.InstanceId, SignalKindExtensions.FromProto(request.SignalType), request.Payload.ToBytes(), cancellationToken).ConfigureAwait(false);
        return new SendSignalResponse { Success = true };
    }

    private async Task<SendCustomSignalResponse> SendCustomSignalAsync(SendCustomSignalRequest request, CancellationToken cancellationToken)
    {
        await signals.SendCustomAsync(request.InstanceId, request.CheckpointId, request.Payload.ToBytes(), cancellationToken).ConfigureAwait(false);
        return new SendCustomSignalResponse { Success = true };
    }

    private async Task<GetInstanceStatusResponse> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        var instance = await instances.GetAsync(instanceId, fromInstance: false, cancellationToken).ConfigureAwait(false);
        // Fields 1–7 are the instance protocol's message number for number (SPEC §5.1): one mapping serves both.
        var common = instance.ToInstanceStatusProto(instanceId);
        var response = GetInstanceStatusResponse.Parser.ParseFrom(common.ToByteString());
        if (instance is not null)
        {
            response.TenantId = instance.TenantId;
            response.CreatedAtMs = instance.CreatedAtMs;
            response.LastActivityMs = instance.LastActivityMs ?? 0;
            if (instance.Status == CoreStatus.Suspended && instance.SleepUntilMs is { } wakeAt)
            {
                response.WakeAtMs = wakeAt;
            }

            if (instance.Status == CoreStatus.Suspended && WaitPoint.Parse(instance.WaitingFor) is { } wait)
            {
                response.WaitingFor = await ToProtoAsync(wait, cancellationToken).ConfigureAwait(false);
            }

            if (await store.GetParentIdAsync(instanceId, cancellationToken).ConfigureAwait(false) is { } parentId)
            {
                response.ParentId = parentId;
            }
        }

        return response;
    }

    private async Task<WaitingFor> ToProtoAsync(WaitPoint wait, CancellationToken cancellationToken)
    {
        var waiting = new WaitingFor { DeadlineMs = wait.DeadlineMs ?? 0, Children = (uint)wait.Children.Count };
        waiting.SignalNames.AddRange(wait.Signals);
        if (wait.Children.Count > 0)
        {
            var statuses = await store.GetStatusesAsync(wait.Children, cancellationToken).ConfigureAwait(false);
            waiting.ChildrenEnded = (uint)statuses.Count(status => status.IsTerminal());
        }

        return waiting;
    }

    private async Task<ListInstancesResponse> ListInstancesAsync(ListInstancesRequest request, CancellationToken cancellationToken)
    {
        var query = new InstanceQuery(
            request.HasTenantId ? request.TenantId : null,
            request.HasStatus ? InstanceStatusRules.Known(request.Status.ToContract()) : null,
            request.HasLastActivityBeforeMs ? request.LastActivityBeforeMs : null,
            Limit(request.Limit),
            Offset(request.Offset));
        var page = await instances.ListAsync(query, cancellationToken).ConfigureAwait(false);
        var response = new ListInstancesResponse { TotalCount = Count(page.TotalCount) };
        var added = AddWithinBudget(response.Instances, page.Items.Select(instance =>
        {
            var summary = new InstanceSummary
            {
                InstanceId = instance.InstanceId,
                TenantId = instance.TenantId,
                Status = instance.Status.ToManagementProto(),
                CreatedAtMs = instance.CreatedAtMs,
                LastActivityMs = instance.LastActivityMs ?? 0,
            };
            if (instance.StartedAtMs is { } started)
            {
                summary.StartedAtMs = started;
            }

            if (instance.FinishedAtMs is { } finished)
            {
                summary.FinishedAtMs = finished;
            }

            return summary;
        }));
        if (NextOffset(page.Offset, added, page.TotalCount) is { } next)
        {
            response.NextOffset = next;
        }

        return response;
    }

    private async Task<ListCheckpointsResponse> ListCheckpointsAsync(ListCheckpointsRequest request, CancellationToken cancellationToken)
    {
        var query = new CheckpointQuery(
            request.InstanceId,
            request.HasCheckpointId ? request.CheckpointId : null,
            request.HasCreatedAfterMs ? request.CreatedAfterMs : null,
            request.HasCreatedBeforeMs ? request.CreatedBeforeMs : null,
            Limit(request.HasLimit ? request.Limit : 0),
            Offset(request.HasOffset ? request.Offset : 0));
        var page = await checkpoints.ListAsync(query, cancellationToken).ConfigureAwait(false);
        var response = new ListCheckpointsResponse { TotalCount = Count(page.TotalCount), Limit = (uint)page.Limit, Offset = (uint)page.Offset };
        var added = AddWithinBudget(response.Checkpoints, page.Items.Select(c => new Protocol.Management.CheckpointSummary
        {
            CheckpointId = c.CheckpointId,
            InstanceId = c.InstanceId,
            CreatedAtMs = c.CreatedAtMs,
            DataSizeBytes = (ulong)c.SizeBytes,
        }));
        if (NextOffset(page.Offset, added, page.TotalCount) is { } next)
        {
            response.NextOffset = next;
        }

        return response;
    }

    private async Task<GetCheckpointResponse> GetCheckpointAsync(GetCheckpointRequest request, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(request.InstanceId, "instance_id");
        CoreValidationException.ThrowIfEmpty(request.CheckpointId, "checkpoint_id");

        // A pure read: an unknown instance simply has no such checkpoint (SPEC §6.4.11).
        var stored = await store.GetCheckpointAsync(request.InstanceId, request.CheckpointId, cancellationToken).ConfigureAwait(false);
        return new GetCheckpointResponse
        {
            Found = stored is not null,
            InstanceId = request.InstanceId,
            CheckpointId = request.CheckpointId,
            CreatedAtMs = stored?.CreatedAtMs ?? 0,
            Data = stored is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(stored.State),
        };
    }

    private async Task<CreateInstanceResponse> CreateInstanceAsync(CreateInstanceRequest request, CancellationToken cancellationToken)
    {
        var (created, instance) = await instances.CreateAsync(request.InstanceId, request.TenantId, cancellationToken).ConfigureAwait(false);
        return new CreateInstanceResponse { Created = created, Status = instance.Status.ToManagementProto(), CreatedAtMs = instance.CreatedAtMs };
    }

    private async Task<CopyCheckpointsResponse> CopyCheckpointsAsync(CopyCheckpointsRequest request, CancellationToken cancellationToken)
    {
        var (copied, last) = await checkpoints.CopyAsync(
            request.SourceInstanceId, request.TargetInstanceId, request.TenantId, request.HasUpToCheckpointId ? request.UpToCheckpointId : null, cancellationToken).ConfigureAwait(false);
        var response = new CopyCheckpointsResponse { Copied = (uint)copied };
        if (last is not null)
        {
            response.LastCheckpointId = last;
        }

        return response;
    }

    private async Task<ListDueWakeupsResponse> ListDueWakeupsAsync(ListDueWakeupsRequest request, CancellationToken cancellationToken)
    {
        var lease = TimeSpan.FromMilliseconds(Math.Min(request.LeaseMs, (ulong)TimeSpan.FromDays(1).TotalMilliseconds));
        // A long poll is capped well below any client's request deadline.
        var wait = TimeSpan.FromMilliseconds(Math.Min(request.WaitMs, (uint)MaxLongPoll.TotalMilliseconds));
        var due = await dueWork.ClaimAsync(Limit(request.Limit), lease, wait, cancellationToken).ConfigureAwait(false);
        var response = new ListDueWakeupsResponse();
        // The claim itself kept to the byte budget (DueWorkService): everything claimed is answered,
        // and what did not fit is not leased, so the next call returns it.
        response.Wakeups.AddRange(due.Wakeups.Select(ToProto));
        response.ChildStarts.AddRange(due.ChildStarts.Select(start => new ChildStart
        {
            ChildId = start.ChildId,
            ParentId = start.ParentId,
            TenantId = start.TenantId,
            Image = start.Image,
            Input = UnsafeByteOperations.UnsafeWrap(start.Input),
        }));
        response.Truncated = due.Truncated;
        return response;
    }

    private async Task<FinishInstanceResponse> FinishInstanceAsync(FinishInstanceRequest request, CancellationToken cancellationToken)
    {
        var target = InstanceStatusRules.Known(request.Status.ToContract()) ?? throw new CoreValidationException("status", "must be COMPLETED, FAILED or CANCELLED");
        CoreStatus? expected = null;
        if (request.HasExpectedStatus)
        {
            expected = InstanceStatusRules.Known(request.ExpectedStatus.ToContract()) ?? throw new CoreValidationException("expected_status", "is not a known status");
        }

        var (applied, status) = await instances.FinishAsync(
            request.InstanceId, target, request.HasError ? request.Error : null, request.HasOutput ? request.Output.ToBytes() : null, expected, cancellationToken).ConfigureAwait(false);
        return new FinishInstanceResponse { Applied = applied, Status = status.ToManagementProto() };
    }

    private async Task<ListEventsResponse> ListEventsAsync(ListEventsRequest request, CancellationToken cancellationToken)
    {
        EventKind? kind = null;
        if (request.HasEventType && request.EventType.Length > 0)
        {
            kind = EventKindExtensions.TryParseStorageName(request.EventType)
                ?? throw new CoreValidationException("event_type", $"unknown event type '{request.EventType}'");
        }

        var query = new EventQuery(
            request.InstanceId,
            kind,
            request.HasSubtype ? request.Subtype : null,
            request.HasCreatedAfterMs ? request.CreatedAfterMs : null,
            request.HasCreatedBeforeMs ? request.CreatedBeforeMs : null,
            request.HasPayloadContains ? request.PayloadContains : null,
            Limit(request.HasLimit ? request.Limit : 0),
            Offset(request.HasOffset ? request.Offset : 0));
        var page = await events.ListAsync(query, cancellationToken).ConfigureAwait(false);
        var response = new ListEventsResponse { TotalCount = Count(page.TotalCount), Limit = (uint)page.Limit, Offset = (uint)page.Offset };
        var added = AddWithinBudget(response.Events, page.Items.Select(stored =>
        {
            var summary = new EventSummary { Id = stored.Id, InstanceId = stored.InstanceId, EventType = stored.Kind.ToStorageName(), CreatedAtMs = stored.CreatedAtMs };
            if (stored.CheckpointId is not null)
            {
                summary.CheckpointId = stored.CheckpointId;
            }

            if (stored.Payload is not null)
            {
                summary.Payload = UnsafeByteOperations.UnsafeWrap(stored.Payload);
            }

            if (stored.Subtype is not null)
            {
                summary.Subtype = stored.Subtype;
            }

            return summary;
        }));
        if (NextOffset(page.Offset, added, page.TotalCount) is { } next)
        {
            response.NextOffset = next;
        }

        return response;
    }

    private async Task<ListRetryAttemptsResponse> ListRetryAttemptsAsync(ListRetryAttemptsRequest request, CancellationToken cancellationToken)
    {
        var query = new RetryAttemptQuery(
            request.InstanceId,
            request.HasCheckpointId ? request.CheckpointId : null,
            Limit(request.HasLimit ? request.Limit : 0),
            Offset(request.HasOffset ? request.Offset : 0));
        var page = await checkpoints.ListRetryAttemptsAsync(query, cancellationToken).ConfigureAwait(false);
        var response = new ListRetryAttemptsResponse { TotalCount = Count(page.TotalCount), Limit = (uint)page.Limit, Offset = (uint)page.Offset };
        var added = AddWithinBudget(response.Attempts, page.Items.Select(stored =>
        {
            var summary = new RetryAttemptSummary
            {
                InstanceId = stored.InstanceId,
                CheckpointId = stored.CheckpointId,
                AttemptNumber = (uint)stored.AttemptNumber,
                CreatedAtMs = stored.CreatedAtMs,
            };
            if (stored.ErrorMessage is not null)
            {
                summary.ErrorMessage = stored.ErrorMessage;
            }

            return summary;
        }));
        if (NextOffset(page.Offset, added, page.TotalCount) is { } next)
        {
            response.NextOffset = next;
        }

        return response;
    }

    private static Protocol.Management.DueWakeup ToProto(StoreDueWakeup due)
    {
        var wakeup = new Protocol.Management.DueWakeup { InstanceId = due.InstanceId, TenantId = due.TenantId, WakeAtMs = due.WakeAtMs };
        if (due.CheckpointId is not null)
        {
            wakeup.CheckpointId = due.CheckpointId;
        }

        return wakeup;
    }

    /// <summary>Adds items to one list answer within the byte budget (docs/protocol.md "List answers"); returns how many went in.</summary>
    private int AddWithinBudget<T>(Google.Protobuf.Collections.RepeatedField<T> target, IEnumerable<T> items)
        where T : IMessage<T> => new AnswerBudget(_options.MaxListAnswerBytes).Add(target, items);

    /// <summary>The offset of the next page when items follow the <paramref name="added"/> ones returned from <paramref name="offset"/>.</summary>
    private static uint? NextOffset(int offset, int added, long total) =>
        offset + (long)added < total ? (uint)Math.Min(offset + (long)added, uint.MaxValue) : null;

    private int Limit(uint requested) => requested == 0 ? DefaultLimit : (int)Math.Min(requested, (uint)_options.MaxListLimit);

    private static int Offset(uint requested) => (int)Math.Min(requested, int.MaxValue);

    private static uint Count(long total) => (uint)Math.Min(total, uint.MaxValue);

    /// <summary>
    /// The bytes left for one answer's items. The first item always goes in, however large (it is
    /// bounded by the stored limits, far below the frame size), so paging always makes progress.
    /// </summary>
    private sealed class AnswerBudget(int maxBytes)
    {
        // Room for the answer's other fields (counts, offsets) and the response envelope around it.
        private long _used = 64;
        private bool _any;

        public int Add<T>(Google.Protobuf.Collections.RepeatedField<T> target, IEnumerable<T> items)
            where T : IMessage<T>
        {
            var added = 0;
            foreach (var item in items)
            {
                // The item's bytes plus its field tag and length prefix.
                var size = CodedOutputStream.ComputeMessageSize(item) + 1;
                if (_any && _used + size > maxBytes)
                {
                    break;
                }

                target.Add(item);
                _used += size;
                _any = true;
                added++;
            }

            return added;
        }
    }
}

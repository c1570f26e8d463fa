using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Runtara.Engine;
using Runtara.Engine.Checkpoints;
using Runtara.Core.Diagnostics;
using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Microsoft.Extensions.Options;
using Runtara.Core.Hosting;
using Runtara.Core.Security;
using Runtara.Engine.Signals;
using Runtara.Engine.Children;
using Runtara.Engine.Hosting;
using Runtara.Engine.Sleep;
using Runtara.Engine.Waits;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;

namespace Runtara.Core.Rpc;

/// <summary>
/// The instance protocol (SPEC §4): decodes each request, calls the service that owns it, encodes
/// the answer. Failures are typed <see cref="CoreException"/>s that the RPC server turns into
/// <c>RpcError{code, message}</c> in one place; one-way requests are answered with nothing.
/// </summary>
internal sealed class InstanceRpcHandler(
    InstanceService instances,
    CheckpointService checkpoints,
    SignalService signals,
    SleepService sleeper,
    EventService events,
    WaitService waits,
    ChildService children,
    TokenKeyRing keys,
    InstanceTenantGuard tenants,
    TimeProvider time,
    IOptions<CoreOptions> options,
    IOptions<EngineOptions> engineOptions,
    ILogger<InstanceRpcHandler> logger) : IRpcHandler<RpcRequest, RpcResponse>
{
    // Every call waits for storage: the state machine is pooled rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RpcReply<RpcResponse>> HandleAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var request = call.Request;
        if (request.RequestCase != RpcRequest.RequestOneofCase.RegisterInstance)
        {
            // The token's instance must be of the token's tenant (registration checks it itself).
            await tenants.EnsureAsync(call.Identity, cancellationToken).ConfigureAwait(false);
        }

        // The caller's registration (0: not presented, unfenced); writes from an older one are refused.
        var incarnation = IncarnationFence.FromWire(request.Incarnation);

        switch (request.RequestCase)
        {
            case RpcRequest.RequestOneofCase.RegisterInstance:
                {
                    var register = request.RegisterInstance;
                    var registration = await instances.RegisterAsync(register.InstanceId, register.TenantId, register.HasCheckpointId ? register.CheckpointId : null, cancellationToken).ConfigureAwait(false);
                    tenants.Remember(register.InstanceId, register.TenantId);
                    return new RpcResponse
                    {
                        RegisterInstance = new RegisterInstanceResponse
                        {
                            Success = true,
                            LastCheckpointId = registration.LastCheckpointId ?? string.Empty,
                            RanBefore = registration.RanBefore,
                            Incarnation = (ulong)registration.Incarnation,
                        },
                    };
                }

            case RpcRequest.RequestOneofCase.Checkpoint:
                {
                    var checkpoint = request.Checkpoint;
                    var outcome = await checkpoints.SaveAsync(checkpoint.InstanceId, checkpoint.CheckpointId, checkpoint.State.ToBytes(), incarnation, cancellationToken).ConfigureAwait(false);
                    var response = new CheckpointResponse { Found = outcome.Found, State = outcome.Found ? UnsafeByteOperations.UnsafeWrap(outcome.State) : ByteString.Empty };
                    if (outcome.PendingSignal is { } pending)
                    {
                        response.PendingSignal = pending.ToProto();
                    }

                    if (outcome.CustomSignal is { } custom)
                    {
                        response.CustomSignal = custom.ToProto();
                    }

                    return new RpcResponse { Checkpoint = response };
                }

            case RpcRequest.RequestOneofCase.GetCheckpoint:
                {
                    var get = request.GetCheckpoint;
                    var stored = await checkpoints.GetAsync(get.InstanceId, get.CheckpointId, fromInstance: true, cancellationToken).ConfigureAwait(false);
                    return new RpcResponse
                    {
                        GetCheckpoint = new GetCheckpointResponse
                        {
                            Found = stored is not null,
                            State = stored is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(stored.State),
                        },
                    };
                }

            case RpcRequest.RequestOneofCase.Sleep:
                {
                    var sleep = request.Sleep;
                    var outcome = await sleeper.SleepAsync(sleep.InstanceId, sleep.DurationMs, sleep.CheckpointId, sleep.State.ToBytes(), incarnation, cancellationToken).ConfigureAwait(false);
                    return new RpcResponse { Sleep = new SleepResponse { Suspended = outcome.Suspended, WakeAtMs = outcome.WakeAtMs } };
                }

            case RpcRequest.RequestOneofCase.Wait:
                {
                    var wait = request.Wait;
                    var result = await waits.WaitAsync(
                        wait.InstanceId, wait.CheckpointId, wait.SignalNames, wait.ChildIds, wait.HasTimeoutMs ? wait.TimeoutMs : null, wait.Suspend, incarnation, cancellationToken).ConfigureAwait(false);
                    var response = new WaitResponse { Suspended = result.Suspended, DeadlineMs = result.DeadlineMs, DecidedNow = result.DecidedNow };
                    if (result.Outcome is { } outcome)
                    {
                        response.Outcome = UnsafeByteOperations.UnsafeWrap(outcome);
                    }

                    if (result.Signal is { } pending)
                    {
                        response.PendingSignal = pending.ToProto();
                    }

                    return new RpcResponse { Wait = response };
                }

            case RpcRequest.RequestOneofCase.StartChild:
                {
                    var start = request.StartChild;
                    var outcome = await children.StartAsync(
                        start.InstanceId, start.Key, start.Image, start.Input.ToBytes(), start.Detached, engineOptions.Value.MaxCheckpointSize, incarnation, cancellationToken).ConfigureAwait(false);
                    return new RpcResponse { StartChild = new StartChildResponse { ChildId = outcome.ChildId, Created = outcome.Created } };
                }

            case RpcRequest.RequestOneofCase.InstanceEvent:
                await events.RecordAsync(ReportedEvent.FromWire(request.InstanceEvent), incarnation, cancellationToken).ConfigureAwait(false);
                return new RpcResponse { InstanceEvent = new InstanceEventResponse { Success = true } };

            case RpcRequest.RequestOneofCase.InstanceEventBatch:
                // Fire-and-forget, in order; one bad event does not stop the rest (SPEC §4.2).
                foreach (var instanceEvent in request.InstanceEventBatch.Events)
                {
                    try
                    {
                        await events.RecordAsync(ReportedEvent.FromWire(instanceEvent), incarnation, cancellationToken).ConfigureAwait(false);
                    }
                    catch (CoreException ex)
                    {
                        Log.BatchedEventRejected(logger, instanceEvent.InstanceId, ex.Code, ex.Message);
                    }
                }

                return RpcReply<RpcResponse>.None;

            case RpcRequest.RequestOneofCase.GetInstanceStatus:
                {
                    var id = request.GetInstanceStatus.InstanceId;
                    var instance = await instances.GetAsync(id, fromInstance: true, cancellationToken).ConfigureAwait(false);
                    return new RpcResponse { GetInstanceStatus = instance.ToInstanceStatusProto(id) };
                }

            case RpcRequest.RequestOneofCase.PollSignals:
                {
                    var poll = request.PollSignals;
                    var (signal, custom) = await signals.PollAsync(
                        poll.InstanceId,
                        poll.HasCheckpointId ? poll.CheckpointId : null,
                        poll.HasStoreAsCheckpointId ? poll.StoreAsCheckpointId : null,
                        incarnation,
                        cancellationToken).ConfigureAwait(false);
                    var response = new PollSignalsResponse();
                    if (signal is not null)
                    {
                        response.Signal = signal.ToProto();
                    }

                    if (custom is not null)
                    {
                        response.CustomSignal = custom.ToProto();
                    }

                    return new RpcResponse { PollSignals = response };
                }

            case RpcRequest.RequestOneofCase.SignalAck:
                {
                    var ack = request.SignalAck;
                    await signals.AcknowledgeAsync(ack.InstanceId, SignalKindExtensions.FromProto(ack.SignalType), ack.Acknowledged, incarnation, cancellationToken).ConfigureAwait(false);
                    return RpcReply<RpcResponse>.None;
                }

            case RpcRequest.RequestOneofCase.RetryAttempt:
                {
                    var attempt = request.RetryAttempt;
                    await checkpoints.RecordRetryAttemptAsync(
                        attempt.InstanceId, attempt.CheckpointId, checked((int)Math.Min(attempt.AttemptNumber, int.MaxValue)),
                        attempt.HasErrorMessage ? attempt.ErrorMessage : null, incarnation, cancellationToken).ConfigureAwait(false);
                    return RpcReply<RpcResponse>.None;
                }

            case RpcRequest.RequestOneofCase.RenewCredential:
                {
                    // The authenticator admitted the call; the presented token is read again here (not
                    // from the connection, which concurrent QUIC streams may share with other tokens).
                    if (!keys.TryVerify(request.Credential, time.GetUtcNow(), out var claims, out var failure))
                    {
                        throw new RpcException(RpcErrorCodes.Unauthenticated, failure);
                    }

                    if (claims!.Kind != TokenKind.Instance)
                    {
                        throw new RpcException(RpcErrorCodes.PermissionDenied, "only an instance token can be renewed");
                    }

                    // A superseded process gets no fresh token: its old one runs out.
                    await instances.EnsureCurrentIncarnationAsync(claims.Subject, incarnation, cancellationToken).ConfigureAwait(false);

                    var expires = time.GetUtcNow() + options.Value.InstanceTokenLifetime;
                    var renewed = keys.Mint(TokenKind.Instance, claims.Subject, claims.TenantId, expires);
                    return new RpcResponse { RenewCredential = new RenewCredentialResponse { Credential = renewed, ExpiresAtMs = expires.ToUnixTimeMilliseconds() } };
                }

            default:
                throw new RpcException(RpcErrorCodes.Unimplemented, $"runtara.instance/{request.RequestCase} is not served by this core");
        }
    }
}

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
    public ValueTask<RpcReply<RpcResponse>> HandleAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        // The token's instance must be of the token's tenant (registration checks it itself). A known
        // instance is answered at once, and the call goes straight to its method.
        if (call.Request.RequestCase != RpcRequest.RequestOneofCase.RegisterInstance
            && tenants.EnsureAsync(call.Identity, cancellationToken) is { IsCompletedSuccessfully: false } admitting)
        {
            return AdmitThenDispatchAsync(admitting, call, cancellationToken);
        }

        return DispatchAsync(call, cancellationToken);
    }

    private async ValueTask<RpcReply<RpcResponse>> AdmitThenDispatchAsync(ValueTask admitting, RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        await admitting.ConfigureAwait(false);
        return await DispatchAsync(call, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One method per request, each with a state machine only as large as its own work (one method
    /// for all of them carried every case's locals in each checkpoint's).
    /// </summary>
    private ValueTask<RpcReply<RpcResponse>> DispatchAsync(RpcServerCall<RpcRequest> call, CancellationToken cancellationToken)
    {
        var request = call.Request;

        // The caller's registration (0: not presented, unfenced); writes from an older one are refused.
        var incarnation = IncarnationFence.FromWire(request.Incarnation);
        return request.RequestCase switch
        {
            RpcRequest.RequestOneofCase.RegisterInstance => RegisterAsync(request.RegisterInstance, cancellationToken),
            RpcRequest.RequestOneofCase.Checkpoint => CheckpointAsync(request.Checkpoint, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.GetCheckpoint => GetCheckpointAsync(request.GetCheckpoint, cancellationToken),
            RpcRequest.RequestOneofCase.Sleep => SleepAsync(request.Sleep, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.Wait => WaitAsync(request.Wait, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.StartChild => StartChildAsync(request.StartChild, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.InstanceEvent => RecordEventAsync(request.InstanceEvent, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.InstanceEventBatch => RecordEventBatchAsync(request.InstanceEventBatch, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.GetInstanceStatus => GetStatusAsync(request.GetInstanceStatus.InstanceId, cancellationToken),
            RpcRequest.RequestOneofCase.PollSignals => PollSignalsAsync(request.PollSignals, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.SignalAck => AcknowledgeSignalAsync(request.SignalAck, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.RetryAttempt => RecordRetryAttemptAsync(request.RetryAttempt, incarnation, cancellationToken),
            RpcRequest.RequestOneofCase.RenewCredential => RenewCredentialAsync(request.Credential, call.Identity, incarnation, cancellationToken),
            _ => ValueTask.FromException<RpcReply<RpcResponse>>(new RpcException(RpcErrorCodes.Unimplemented, $"runtara.instance/{request.RequestCase} is not served by this core")),
        };
    }

    private async ValueTask<RpcReply<RpcResponse>> RegisterAsync(RegisterInstanceRequest register, CancellationToken cancellationToken)
    {
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

    // Every step of every workflow comes here: the reply is built by the save's own (pooled) state machine.
    private ValueTask<RpcReply<RpcResponse>> CheckpointAsync(CheckpointRequest checkpoint, long incarnation, CancellationToken cancellationToken) =>
        checkpoints.SaveAsync(checkpoint.InstanceId, checkpoint.CheckpointId, checkpoint.State.ToBytes(), incarnation, CheckpointReply, cancellationToken);

    // A static method group: the compiler caches its delegate.
    private static RpcReply<RpcResponse> CheckpointReply(CheckpointOutcome outcome)
    {
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

    private async ValueTask<RpcReply<RpcResponse>> GetCheckpointAsync(GetCheckpointRequest get, CancellationToken cancellationToken)
    {
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

    private async ValueTask<RpcReply<RpcResponse>> SleepAsync(SleepRequest sleep, long incarnation, CancellationToken cancellationToken)
    {
        var outcome = await sleeper.SleepAsync(sleep.InstanceId, sleep.DurationMs, sleep.CheckpointId, sleep.State.ToBytes(), incarnation, cancellationToken).ConfigureAwait(false);
        return new RpcResponse { Sleep = new SleepResponse { Suspended = outcome.Suspended, WakeAtMs = outcome.WakeAtMs } };
    }

    private async ValueTask<RpcReply<RpcResponse>> WaitAsync(WaitRequest wait, long incarnation, CancellationToken cancellationToken)
    {
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

    private async ValueTask<RpcReply<RpcResponse>> StartChildAsync(StartChildRequest start, long incarnation, CancellationToken cancellationToken)
    {
        var outcome = await children.StartAsync(
            start.InstanceId, start.Key, start.Image, start.Input.ToBytes(), start.Detached, engineOptions.Value.MaxCheckpointSize, incarnation, cancellationToken).ConfigureAwait(false);
        return new RpcResponse { StartChild = new StartChildResponse { ChildId = outcome.ChildId, Created = outcome.Created } };
    }

    private async ValueTask<RpcReply<RpcResponse>> RecordEventAsync(InstanceEvent instanceEvent, long incarnation, CancellationToken cancellationToken)
    {
        await events.RecordAsync(ReportedEvent.FromWire(instanceEvent), incarnation, cancellationToken).ConfigureAwait(false);
        return new RpcResponse { InstanceEvent = new InstanceEventResponse { Success = true } };
    }

    private async ValueTask<RpcReply<RpcResponse>> RecordEventBatchAsync(InstanceEventBatch batch, long incarnation, CancellationToken cancellationToken)
    {
        // Fire-and-forget, in order; one bad event does not stop the rest (SPEC §4.2).
        foreach (var instanceEvent in batch.Events)
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
    }

    private async ValueTask<RpcReply<RpcResponse>> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        var instance = await instances.GetAsync(instanceId, fromInstance: true, cancellationToken).ConfigureAwait(false);
        return new RpcResponse { GetInstanceStatus = instance.ToInstanceStatusProto(instanceId) };
    }

    private async ValueTask<RpcReply<RpcResponse>> PollSignalsAsync(PollSignalsRequest poll, long incarnation, CancellationToken cancellationToken)
    {
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

    private async ValueTask<RpcReply<RpcResponse>> AcknowledgeSignalAsync(SignalAck ack, long incarnation, CancellationToken cancellationToken)
    {
        await signals.AcknowledgeAsync(ack.InstanceId, SignalKindExtensions.FromProto(ack.SignalType), ack.Acknowledged, incarnation, cancellationToken).ConfigureAwait(false);
        return RpcReply<RpcResponse>.None;
    }

    private async ValueTask<RpcReply<RpcResponse>> RecordRetryAttemptAsync(RetryAttemptEvent attempt, long incarnation, CancellationToken cancellationToken)
    {
        await checkpoints.RecordRetryAttemptAsync(
            attempt.InstanceId, attempt.CheckpointId, checked((int)Math.Min(attempt.AttemptNumber, int.MaxValue)),
            attempt.HasErrorMessage ? attempt.ErrorMessage : null, incarnation, cancellationToken).ConfigureAwait(false);
        return RpcReply<RpcResponse>.None;
    }

    private async ValueTask<RpcReply<RpcResponse>> RenewCredentialAsync(string credential, RpcIdentity? identity, long incarnation, CancellationToken cancellationToken)
    {
        // The authenticator admitted the call; the presented token is read again here (not from the
        // connection's last one, which concurrent QUIC streams may share with other tokens). A call
        // that left its credential empty presented the connection's own (docs/security.md): the
        // identity the server verified for it, its expiry checked for this call.
        TokenClaims? claims;
        if (credential.Length == 0 && identity is TokenIdentity presented)
        {
            claims = presented.Claims;
        }
        else if (!keys.TryVerify(credential, time.GetUtcNow(), out claims, out var failure))
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
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Sdk.Diagnostics;

namespace Runtara.Sdk.Backends.Core;

/// <summary>
/// The instance protocol over one shared <see cref="RpcClient{TRequest,TResponse}"/> (a pool of
/// connections, so heartbeats, signal polls and steps never wait for each other). Every call it
/// makes is idempotent (checkpoint save-if-absent, reads, events, and custom-signal polls that store
/// what they consume), so all are retried on transport failures for up to
/// <see cref="RuntaraInstanceOptions.CoreUnavailableTolerance"/> (a core restart is a wait, not a failure).
/// </summary>
internal sealed class CoreBackend : IInstanceBackend
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly RpcClient<RpcRequest, RpcResponse> _client;
    private readonly ILogger _logger;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _tolerance;

    // Stopwatch timestamp of the first failure of the current outage, 0 while the core answers:
    // shared by all calls so the outage is logged once, not once per call.
    private long _outageSince;

    // Per instance (one connection may run several): the incarnation its registration got, presented
    // on every later request, and the instances whose registration a newer process superseded: their
    // calls fail at once, unsent, so a superseded run writes nothing more (docs/protocol.md "Incarnations").
    private readonly ConcurrentDictionary<string, ulong> _incarnations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InstanceSupersededException> _superseded = new(StringComparer.Ordinal);

    public CoreBackend(RuntaraInstanceOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _requestTimeout = options.RequestTimeout;
        _tolerance = options.CoreUnavailableTolerance;
        var credential = new InstanceCredential(options.Token, options.TimeProvider, logger);
        _client = new RpcClient<RpcRequest, RpcResponse>(
            new RpcClientOptions
            {
                Address = options.ServerAddress,
                Transport = options.Transport,
                ConnectTimeout = options.ConnectTimeout,
                DefaultDeadline = options.RequestTimeout,
                CredentialProvider = credential.Current,
                Tls = new ClientTlsOptions
                {
                    ServerName = options.ServerName,
                    PinnedCertificatePath = options.PinnedCertificatePath,
                    CaCertificatePath = options.CaCertificatePath,
                    DangerousSkipCertificateVerification = options.SkipCertificateVerification,
                },
            },
            logger);
        credential.Client = _client;
        credential.IncarnationOf = id => _incarnations.GetValueOrDefault(id);
    }

    public string Address => _client.Address;

    /// <summary>
    /// Does ahead what the first calls of a run pay once per process: one connection to the core (opened,
    /// then closed with this backend) and the protocol's messages serialized and parsed once.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        RpcRequest[] requests =
        [
            new() { RegisterInstance = new RegisterInstanceRequest { InstanceId = "warm-up", TenantId = "warm-up" } },
            new() { Checkpoint = new CheckpointRequest { InstanceId = "warm-up", CheckpointId = "warm-up", State = ByteString.CopyFromUtf8("{}") } },
            new() { InstanceEvent = new InstanceEvent { InstanceId = "warm-up", EventType = InstanceEventType.EventCompleted, Payload = ByteString.CopyFromUtf8("{}") } },
        ];
        RpcResponse[] responses =
        [
            new() { RegisterInstance = new RegisterInstanceResponse { Success = true } },
            new() { Checkpoint = new CheckpointResponse { Found = false } },
            new() { InstanceEvent = new InstanceEventResponse { Success = true } },
        ];
        foreach (var request in requests)
        {
            _ = RpcRequest.Parser.ParseFrom(request.ToByteArray());
        }

        foreach (var response in responses)
        {
            _ = RpcResponse.Parser.ParseFrom(response.ToByteArray());
        }

        await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
    }

    public Protocol.Transport.TransportKind Transport => _client.Transport;

    public async Task<RegistrationResult> RegisterAsync(string instanceId, string tenantId, string? checkpointId, CancellationToken cancellationToken)
    {
        var request = new RegisterInstanceRequest { InstanceId = instanceId, TenantId = tenantId };
        if (checkpointId is not null)
        {
            request.CheckpointId = checkpointId;
        }

        RpcResponse response;
        try
        {
            response = await CallIdempotentAsync(new RpcRequest { RegisterInstance = request }, instanceId, null, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (!ex.IsTransient && ex.Code != RpcErrorCodes.DeadlineExceeded)
        {
            // The core refuses terminal instances and other tenants' ids with an RpcError.
            throw new InstanceRegistrationException(instanceId, $"{ex.Code}: {ex.Message}", ex);
        }

        var registered = response.RegisterInstance;
        if (!registered.Success)
        {
            throw new InstanceRegistrationException(instanceId, registered.Error);
        }

        // A core that predates incarnations answers 0: the calls then present none and are not fenced.
        _incarnations[instanceId] = registered.Incarnation;
        _superseded.TryRemove(instanceId, out _);

        // A core that predates the field leaves it unset: the run then asks GetInstanceStatus.
        return new RegistrationResult(registered.HasLastCheckpointId ? registered.LastCheckpointId.Length > 0 : null, registered.RanBefore);
    }

    public ValueTask<CheckpointResult> CheckpointAsync(string instanceId, string checkpointId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        var request = new RpcRequest
        {
            Checkpoint = new CheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId, State = UnsafeByteOperations.UnsafeWrap(state) },
        };
        return CallIdempotentAsync(request, instanceId, null, static answer =>
        {
            var response = answer.Checkpoint;
            return new CheckpointResult(
                response.Found,
                response.Found ? response.State.Memory : ReadOnlyMemory<byte>.Empty,
                ProtocolConversions.ToSignal(response.PendingSignal),
                ProtocolConversions.ToCustomSignal(response.CustomSignal));
        }, cancellationToken);
    }

    public ValueTask<ReadOnlyMemory<byte>?> GetCheckpointAsync(string instanceId, string checkpointId, CancellationToken cancellationToken)
    {
        var request = new RpcRequest { GetCheckpoint = new GetCheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId } };
        return CallIdempotentAsync(request, instanceId, null, static answer => answer.GetCheckpoint.Found ? answer.GetCheckpoint.State.Memory : (ReadOnlyMemory<byte>?)null, cancellationToken);
    }

    public ValueTask<SleepResult> SleepAsync(string instanceId, string checkpointId, long durationMs, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        var request = new RpcRequest
        {
            Sleep = new SleepRequest
            {
                InstanceId = instanceId,
                CheckpointId = checkpointId,
                DurationMs = (ulong)Math.Max(0, durationMs),
                State = UnsafeByteOperations.UnsafeWrap(state),
            },
        };

        // The core may wait a short sleep inside the call: allow for it on top of the usual deadline.
        // Repeating the call is safe: the core keeps the first wake-up time of a (instance, checkpoint).
        var deadline = _requestTimeout + TimeSpan.FromMilliseconds(durationMs);
        return CallIdempotentAsync(request, instanceId, deadline, static answer => new SleepResult(answer.Sleep.Suspended, answer.Sleep.WakeAtMs), cancellationToken);
    }

    public async Task SendEventAsync(InstanceEvent instanceEvent, CancellationToken cancellationToken)
    {
        var response = (await CallIdempotentAsync(new RpcRequest { InstanceEvent = instanceEvent }, instanceEvent.InstanceId, null, cancellationToken).ConfigureAwait(false)).InstanceEvent;
        if (!response.Success)
        {
            throw new EventRejectedException(instanceEvent.InstanceId, InstanceEvents.StorageName(instanceEvent.EventType), response.HasError ? response.Error : null);
        }
    }

    public ValueTask<PendingSignal?> PollSignalsAsync(string instanceId, CancellationToken cancellationToken)
    {
        var request = new RpcRequest { PollSignals = new PollSignalsRequest { InstanceId = instanceId } };
        return CallIdempotentAsync(request, instanceId, null, static answer => ProtocolConversions.ToSignal(answer.PollSignals.Signal), cancellationToken);
    }

    public ValueTask<WaitCallResult> WaitAsync(string instanceId, string checkpointId, IReadOnlyList<string> signalNames, IReadOnlyList<string> childIds, long? timeoutMs, bool suspend, CancellationToken cancellationToken)
    {
        var wait = new WaitRequest { InstanceId = instanceId, CheckpointId = checkpointId, Suspend = suspend };
        wait.SignalNames.AddRange(signalNames);
        wait.ChildIds.AddRange(childIds);
        if (timeoutMs is { } timeout)
        {
            wait.TimeoutMs = (ulong)Math.Max(0, timeout);
        }

        // Safe to repeat: the core decides a wait once and answers a repeat from the stored outcome,
        // and suspending an instance that is suspended already is refused, not repeated.
        return CallIdempotentAsync(new RpcRequest { Wait = wait }, instanceId, null, static answer =>
        {
            var response = answer.Wait;
            return new WaitCallResult(response.HasOutcome ? response.Outcome.Memory : (ReadOnlyMemory<byte>?)null, response.Suspended, response.DeadlineMs, ProtocolConversions.ToSignal(response.PendingSignal), response.DecidedNow);
        }, cancellationToken);
    }

    public ValueTask<ChildStartResult> StartChildAsync(string instanceId, string key, string image, ReadOnlyMemory<byte> input, bool detached, CancellationToken cancellationToken)
    {
        var request = new RpcRequest
        {
            StartChild = new StartChildRequest { InstanceId = instanceId, Key = key, Image = image, Input = UnsafeByteOperations.UnsafeWrap(input), Detached = detached },
        };

        // Safe to repeat: one child per (parent, key).
        return CallIdempotentAsync(request, instanceId, null, static answer => new ChildStartResult(answer.StartChild.ChildId, answer.StartChild.Created), cancellationToken);
    }

    public Task AcknowledgeSignalAsync(string instanceId, SignalKind kind, CancellationToken cancellationToken) =>
        _client.SendAsync(
            Fenced(new RpcRequest { SignalAck = new SignalAck { InstanceId = instanceId, SignalType = kind.ToInstanceProto(), Acknowledged = true } }, instanceId),
            cancellationToken);

    public Task RecordRetryAttemptAsync(string instanceId, string checkpointId, int attemptNumber, string? errorMessage, long timestampMs, CancellationToken cancellationToken)
    {
        var attempt = new RetryAttemptEvent
        {
            InstanceId = instanceId,
            CheckpointId = checkpointId,
            AttemptNumber = (uint)attemptNumber,
            TimestampMs = timestampMs,
        };
        if (errorMessage is not null)
        {
            attempt.ErrorMessage = errorMessage;
        }

        return _client.SendAsync(Fenced(new RpcRequest { RetryAttempt = attempt }, instanceId), cancellationToken);
    }

    public async Task<InstanceStatusInfo> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        var request = new RpcRequest { GetInstanceStatus = new GetInstanceStatusRequest { InstanceId = instanceId } };
        var response = (await CallIdempotentAsync(request, instanceId, null, cancellationToken).ConfigureAwait(false)).GetInstanceStatus;
        return new InstanceStatusInfo(
            instanceId,
            response.Status.ToContract(),
            response.HasCheckpointId && response.CheckpointId.Length > 0 ? response.CheckpointId : null,
            response.StartedAtMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(response.StartedAtMs) : null,
            response.HasFinishedAtMs ? DateTimeOffset.FromUnixTimeMilliseconds(response.FinishedAtMs) : null,
            response.HasOutput ? response.Output.Memory : (ReadOnlyMemory<byte>?)null,
            response.HasError ? response.Error : null);
    }

    public InstanceSupersededException? Superseded(string instanceId) => _superseded.GetValueOrDefault(instanceId);

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    /// <summary>Presents the instance's incarnation on <paramref name="request"/>; throws, sending nothing, once the instance was superseded.</summary>
    private RpcRequest Fenced(RpcRequest request, string instanceId)
    {
        // RegisterInstance presents none: it is what gives the process its incarnation.
        if (request.RequestCase == RpcRequest.RequestOneofCase.RegisterInstance)
        {
            return request;
        }

        if (_superseded.TryGetValue(instanceId, out var superseded))
        {
            throw new InstanceSupersededException(instanceId, superseded.Message, superseded);
        }

        request.Incarnation = _incarnations.GetValueOrDefault(instanceId);
        return request;
    }

    private ValueTask<RpcResponse> CallIdempotentAsync(RpcRequest request, string instanceId, TimeSpan? deadline, CancellationToken cancellationToken) =>
        CallIdempotentAsync(request, instanceId, deadline, static response => response, cancellationToken);

    /// <summary>
    /// Calls the core, riding out its restarts (below), and reads the answer with <paramref name="read"/>:
    /// inside the call's own state machine, so a method that only converts the answer needs none of its own.
    /// </summary>
    /// <remarks>
    /// Pooled: an instance's calls follow one another, each answered on the thread that then runs the
    /// workflow to its next call, so that call reuses the box the previous one returned.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResult> CallIdempotentAsync<TResult>(RpcRequest request, string instanceId, TimeSpan? deadline, Func<RpcResponse, TResult> read, CancellationToken cancellationToken)
    {
        Fenced(request, instanceId);
        // A core restart takes seconds (kill -9 or SIGTERM and start): ride it out with capped,
        // jittered backoff up to the tolerance, then give up with a retryable outcome rather than
        // failing the workflow. Stopwatch, not the options' TimeProvider: the waits are real ones.
        long failingSince = 0;
        var backoff = InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await _client.CallValueAsync(request, deadline, cancellationToken).ConfigureAwait(false);
                if (Interlocked.Exchange(ref _outageSince, 0) is var since and not 0)
                {
                    Log.CoreReachableAgain(_logger, _client.Address, Stopwatch.GetElapsedTime(since));
                }

                return read(response);
            }
            catch (RpcException ex) when (ex.Code == SdkErrorCodes.StaleIncarnation)
            {
                // A newer process registered the instance: stop this run's writes for good.
                var superseded = new InstanceSupersededException(instanceId, ex.Message, ex);
                if (_superseded.TryAdd(instanceId, superseded))
                {
                    Log.InstanceSuperseded(_logger, instanceId, ex.Message);
                }

                throw superseded;
            }
            catch (RpcException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                var now = Stopwatch.GetTimestamp();
                if (failingSince == 0)
                {
                    failingSince = now;
                }

                if (Interlocked.CompareExchange(ref _outageSince, now, 0) == 0)
                {
                    Log.CoreUnreachable(_logger, _client.Address, ex.Code, ex.Message, _tolerance);
                }

                var remaining = _tolerance - Stopwatch.GetElapsedTime(failingSince);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new CoreUnavailableException(request.MethodName, Stopwatch.GetElapsedTime(failingSince), ex);
                }

                // Equal jitter: half the step fixed, half random, so instances do not reconnect in step.
                var delay = (backoff / 2) + (backoff / 2 * Random.Shared.NextDouble());
                delay = delay < remaining ? delay : remaining;
                Log.TransientRpcFailure(_logger, request.MethodName, attempt, ex.Code, ex.Message, delay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
            }
        }
    }
}

using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Engine.Diagnostics;
using Runtara.Engine.Hosting;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;
using Runtara.Engine.Waits;

using Runtara.Protocol.Rpc;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Engine.Events;

/// <summary>An event as an instance reports it.</summary>
public sealed record ReportedEvent(string InstanceId, EventKind Kind, string? CheckpointId, byte[] Payload, string? Subtype, long ClientTimestampMs)
{
    /// <summary>The event an instance reported on the wire (its payload shared, not copied).</summary>
    public static ReportedEvent FromWire(Inst.InstanceEvent instanceEvent)
    {
        ArgumentNullException.ThrowIfNull(instanceEvent);
        return new(
            instanceEvent.InstanceId,
            EventKindExtensions.FromProto(instanceEvent.EventType),
            instanceEvent.HasCheckpointId ? instanceEvent.CheckpointId : null,
            instanceEvent.Payload.ToBytes(),
            instanceEvent.HasSubtype ? instanceEvent.Subtype : null,
            instanceEvent.TimestampMs);
    }
}

/// <summary>
/// Instance events (SPEC §12): the row and its status side effect are written in one transaction
/// and acknowledged after commit. Status events obey the state machine; a repeat of the status the
/// instance already has is an idempotent success (a retried COMPLETED after a lost response), while
/// any other late status event is refused and changes nothing.
/// </summary>
internal sealed class EventService(ICoreStore store, WakeupNotifier notifier, TimeProvider time, IOptions<EngineOptions> options, ILogger<EventService> logger)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly EngineOptions _options = options.Value;

    public async Task RecordAsync(ReportedEvent reported, long incarnation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reported);
        CoreValidationException.ThrowIfEmpty(reported.InstanceId, "instance_id");
        if (reported.CheckpointId is { Length: > 0 } checkpointId)
        {
            CoreValidationException.ThrowIfEmpty(checkpointId, "checkpoint_id");
        }

        if (reported.Subtype is { Length: > 0 } subtype)
        {
            CoreValidationException.ThrowIfEmpty(subtype, "subtype");
        }

        if (reported.Payload.Length > _options.MaxEventPayloadSize)
        {
            throw new PayloadTooLargeException("payload", reported.Payload.Length, _options.MaxEventPayloadSize);
        }

        var change = await store.WriteAsync<(InstanceStatus From, InstanceStatus To, bool Due)?>("instance_event", async (writer, token) =>
        {
            var instance = await writer.GetInstanceAsync(reported.InstanceId, token).ConfigureAwait(false)
                ?? throw new InstanceNotFoundException(reported.InstanceId);

            // Heartbeats too: a superseded process must not keep the new run's activity alive.
            IncarnationFence.Ensure(instance, incarnation);
            var now = time.NowMs();
            var target = TargetStatus(reported.Kind);
            if (target is { } status && instance.Status == status)
            {
                return null;
            }

            if (target is not null)
            {
                InstanceStateMachine.Ensure(instance, InstanceStateMachine.RunningOnly, $"a {reported.Kind.ToStorageName()} event");
            }

            await writer.InsertEventAsync(
                new NewEvent(reported.InstanceId, reported.Kind, reported.CheckpointId, reported.Payload, reported.Subtype, now, reported.ClientTimestampMs),
                token).ConfigureAwait(false);
            var updated = reported.Kind switch
            {
                EventKind.Completed => instance with { Status = InstanceStatus.Completed, Output = reported.Payload.Length == 0 ? null : reported.Payload, Error = null, FinishedAtMs = now },
                EventKind.Failed => instance with { Status = InstanceStatus.Failed, Error = ErrorText(reported.Payload), Output = null, FinishedAtMs = now },
                EventKind.Suspended => instance with { Status = InstanceStatus.Suspended },
                _ => instance,
            };
            if (target is null)
            {
                await writer.TouchInstanceAsync(reported.InstanceId, now, token).ConfigureAwait(false);
                return null;
            }

            await writer.UpdateInstanceAsync(updated with { LastActivityMs = now }, token).ConfigureAwait(false);
            var due = updated.Status.IsTerminal() && await InstanceEndings.OnEndedAsync(writer, reported.InstanceId, updated.Status, now, token).ConfigureAwait(false);
            return (instance.Status, updated.Status, due);
        }, cancellationToken).ConfigureAwait(false);

        if (change is { Due: true })
        {
            notifier.Pulse();
        }

        if (change is { } applied)
        {
            EngineTelemetry.RecordStatusChange(applied.To);
            Log.InstanceStatusChanged(logger, reported.InstanceId, applied.From.ToStorageName(), applied.To.ToStorageName());
        }
    }

    public Task<Page<EventRecord>> ListAsync(EventQuery query, CancellationToken cancellationToken)
    {
        CoreValidationException.ThrowIfEmpty(query.InstanceId, "instance_id");
        return store.ListEventsAsync(query, cancellationToken);
    }

    private static InstanceStatus? TargetStatus(EventKind kind) => kind switch
    {
        EventKind.Completed => InstanceStatus.Completed,
        EventKind.Failed => InstanceStatus.Failed,
        EventKind.Suspended => InstanceStatus.Suspended,
        _ => null,
    };

    /// <summary>SPEC §12.1: the payload as UTF-8, with fixed texts when it is empty or not text.</summary>
    private static string ErrorText(byte[] payload)
    {
        if (payload.Length == 0)
        {
            return "Unknown error";
        }

        try
        {
            return StrictUtf8.GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return "Unknown error (binary payload)";
        }
    }
}

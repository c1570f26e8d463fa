using System.Text;
using Runtara.Protocol.Instance;
using Runtara.Sdk.Backends;
using InstanceStatus = Runtara.Protocol.Contracts.InstanceStatus;
using Proto = Runtara.Protocol.Instance;
using SignalKind = Runtara.Protocol.Contracts.SignalKind;

namespace Runtara.Sdk.Tests.Backends;

/// <summary>SPEC §18.4: type conversions, CheckpointResult helpers, event builders.</summary>
public sealed class ConversionsAndEventsTests
{
    // The enum mappings and storage names are tested in Runtara.Protocol.Tests (Contracts/).
    [Fact]
    public void Signal_messages_become_the_sdk_records()
    {
        var signal = ProtocolConversions.ToSignal(new Proto.Signal { SignalType = SignalType.SignalPause, Payload = Google.Protobuf.ByteString.CopyFromUtf8("p") });
        var custom = ProtocolConversions.ToCustomSignal(new Proto.CustomSignal { CheckpointId = "wait", Payload = Google.Protobuf.ByteString.CopyFromUtf8("c") });

        Assert.Equal((SignalKind.Pause, "p"), (signal!.Kind, Encoding.UTF8.GetString(signal.Payload.Span)));
        Assert.Equal(("wait", "c"), (custom!.CheckpointId, Encoding.UTF8.GetString(custom.Payload.Span)));
        Assert.Null(ProtocolConversions.ToSignal(null));
        Assert.Null(ProtocolConversions.ToCustomSignal(null));
    }

    [Fact]
    public void CheckpointResult_helpers_read_the_signal_and_stored_state()
    {
        var fresh = new CheckpointResult(false, ReadOnlyMemory<byte>.Empty, null, null);
        var found = new CheckpointResult(true, "s"u8.ToArray(), new PendingSignal(SignalKind.Pause, default), null);
        var cancel = fresh with { Signal = new PendingSignal(SignalKind.Cancel, default) };
        var resume = fresh with { Signal = new PendingSignal(SignalKind.Resume, default) };

        Assert.Null(fresh.ExistingState);
        Assert.False(fresh.ShouldExit);
        Assert.Equal("s"u8.ToArray(), found.ExistingState!.Value.ToArray());
        Assert.True(found.ShouldPause && found.ShouldExit && !found.ShouldCancel);
        Assert.True(cancel.ShouldCancel && cancel.ShouldExit);
        Assert.False(resume.ShouldExit);
    }

    [Fact]
    public void Event_builders_set_type_payload_checkpoint_and_subtype()
    {
        var completed = InstanceEvents.Completed("i", """{"ok":true}"""u8.ToArray(), 5);
        var failed = InstanceEvents.Failed("i", "boom ✗", 6);
        var suspended = InstanceEvents.Suspended("i", "step:two", 7);
        var custom = InstanceEvents.Custom("i", "progress", "50%"u8.ToArray(), 8);
        var heartbeat = InstanceEvents.Heartbeat("i", 9);

        Assert.Equal((InstanceEventType.EventCompleted, """{"ok":true}""", 5L), (completed.EventType, completed.Payload.ToStringUtf8(), completed.TimestampMs));
        Assert.Equal((InstanceEventType.EventFailed, "boom ✗"), (failed.EventType, failed.Payload.ToStringUtf8()));
        Assert.Equal((InstanceEventType.EventSuspended, "step:two"), (suspended.EventType, suspended.CheckpointId));
        Assert.Equal((InstanceEventType.EventCustom, "progress", "50%"), (custom.EventType, custom.Subtype, custom.Payload.ToStringUtf8()));
        Assert.Equal(InstanceEventType.EventHeartbeat, heartbeat.EventType);
        Assert.True(heartbeat.Payload.IsEmpty && !heartbeat.HasSubtype && !heartbeat.HasCheckpointId);
        Assert.All(new[] { completed, failed, suspended, custom, heartbeat }, e => Assert.Equal("i", e.InstanceId));
        Assert.Throws<ArgumentException>(() => InstanceEvents.Custom("i", "", default, 0));
        Assert.Throws<ArgumentException>(() => InstanceEvents.Heartbeat("", 0));
    }

    [Fact]
    public void Storage_names_and_error_text_follow_the_core_rules()
    {
        Assert.Equal("heartbeat", InstanceEvents.StorageName((InstanceEventType)1));
        Assert.Equal("custom", InstanceEvents.StorageName(InstanceEventType.EventCustom));
        Assert.Equal("Unknown error", InstanceEvents.ErrorText([]));
        Assert.Equal("Unknown error (binary payload)", InstanceEvents.ErrorText([0xff, 0xfe]));
        Assert.Equal("bad ✓", InstanceEvents.ErrorText(Encoding.UTF8.GetBytes("bad ✓")));
    }
}

using System.Text;
using Runtara.Protocol.Instance;
using Runtara.Sdk.Backends;
using Proto = Runtara.Protocol.Instance;

namespace Runtara.Sdk.Tests.Backends;

/// <summary>SPEC §18.4: type conversions, CheckpointResult helpers, event builders.</summary>
public sealed class ConversionsAndEventsTests
{
    [Theory]
    [InlineData(0, InstanceStatus.Unknown)]
    [InlineData(1, InstanceStatus.Pending)]
    [InlineData(2, InstanceStatus.Running)]
    [InlineData(3, InstanceStatus.Suspended)]
    [InlineData(4, InstanceStatus.Completed)]
    [InlineData(5, InstanceStatus.Failed)]
    [InlineData(6, InstanceStatus.Cancelled)]
    [InlineData(7, InstanceStatus.Unknown)]
    [InlineData(-1, InstanceStatus.Unknown)]
    public void Status_numbers_map_one_to_one_and_anything_else_is_unknown(int value, InstanceStatus expected)
    {
        Assert.Equal(expected, ProtocolConversions.ToStatus(value));
        Assert.Equal(expected, ProtocolConversions.ToStatus((Proto.InstanceStatus)value));
    }

    [Theory]
    [InlineData(0, SignalKind.Cancel)]
    [InlineData(1, SignalKind.Pause)]
    [InlineData(2, SignalKind.Resume)]
    [InlineData(3, SignalKind.Unknown)]
    [InlineData(99, SignalKind.Unknown)]
    public void Signal_numbers_map_one_to_one_and_unknown_ones_are_never_cancel(int value, SignalKind expected) =>
        Assert.Equal(expected, ProtocolConversions.ToSignalKind((SignalType)value));

    [Fact]
    public void Known_signal_kinds_round_trip_to_the_wire_and_unknown_ones_do_not_go_on_it()
    {
        foreach (var kind in new[] { SignalKind.Cancel, SignalKind.Pause, SignalKind.Resume })
        {
            Assert.Equal(kind, ProtocolConversions.ToSignalKind(ProtocolConversions.ToProto(kind)));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolConversions.ToProto(SignalKind.Unknown));
    }

    [Fact]
    public void Storage_names_round_trip()
    {
        foreach (var status in Enum.GetValues<InstanceStatus>().Where(s => s != InstanceStatus.Unknown))
        {
            Assert.Equal(status, ProtocolConversions.FromStorageName(ProtocolConversions.ToStorageName(status)));
        }

        // The same names as the core and the environment, legacy "sleeping" included.
        Assert.Equal("suspended", ProtocolConversions.ToStorageName(InstanceStatus.Suspended));
        Assert.Equal(InstanceStatus.Suspended, ProtocolConversions.FromStorageName("sleeping"));
        Assert.Equal(InstanceStatus.Unknown, ProtocolConversions.FromStorageName("bogus"));
        Assert.Equal(InstanceStatus.Unknown, ProtocolConversions.FromStorageName(null));
        Assert.Equal("unknown", ProtocolConversions.ToStorageName(InstanceStatus.Unknown));
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

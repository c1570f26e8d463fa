using Runtara.Protocol.Contracts;
using EnvironmentProto = Runtara.Protocol.Environment;
using InstanceProto = Runtara.Protocol.Instance;
using ManagementProto = Runtara.Protocol.Management;

namespace Runtara.Protocol.Tests.Contracts;

/// <summary>
/// Every member of the shared enums against every member of the three protocols' enums, both ways, matched by
/// name (STATUS_X is X, SIGNAL_X is X) so a renumbered or added proto value fails here.
/// </summary>
public sealed class ProtoEnumMappingTests
{
    private static readonly InstanceStatus[] Statuses = Enum.GetValues<InstanceStatus>();
    private static readonly SignalKind[] KnownSignals = [.. Enum.GetValues<SignalKind>().Where(k => k != SignalKind.Unknown)];

    [Fact]
    public void Every_status_maps_to_the_same_named_instance_proto_status_and_back() =>
        AssertStatusesRoundTrip(s => s.ToInstanceProto(), p => p.ToContract());

    [Fact]
    public void Every_status_maps_to_the_same_named_management_proto_status_and_back() =>
        AssertStatusesRoundTrip(s => s.ToManagementProto(), p => p.ToContract());

    [Fact]
    public void Every_status_maps_to_the_same_named_environment_proto_status_and_back() =>
        AssertStatusesRoundTrip(s => s.ToEnvironmentProto(), p => p.ToContract());

    [Theory]
    [InlineData(7)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Undefined_wire_statuses_read_as_unknown(int value)
    {
        Assert.Equal(InstanceStatus.Unknown, ((InstanceProto.InstanceStatus)value).ToContract());
        Assert.Equal(InstanceStatus.Unknown, ((ManagementProto.InstanceStatus)value).ToContract());
        Assert.Equal(InstanceStatus.Unknown, ((EnvironmentProto.InstanceStatus)value).ToContract());
    }

    [Theory]
    [InlineData(7)]
    [InlineData(-1)]
    public void Undefined_statuses_do_not_go_on_the_wire(int value)
    {
        var status = (InstanceStatus)value;
        Assert.Throws<ArgumentOutOfRangeException>(() => status.ToInstanceProto());
        Assert.Throws<ArgumentOutOfRangeException>(() => status.ToManagementProto());
        Assert.Throws<ArgumentOutOfRangeException>(() => status.ToEnvironmentProto());
    }

    [Fact]
    public void Every_known_signal_maps_to_the_same_named_instance_proto_signal_and_back() =>
        AssertSignalsRoundTrip(k => k.ToInstanceProto(), p => p.ToContract());

    [Fact]
    public void Every_known_signal_maps_to_the_same_named_management_proto_signal_and_back() =>
        AssertSignalsRoundTrip(k => k.ToManagementProto(), p => p.ToContract());

    [Fact]
    public void Every_known_signal_maps_to_the_same_named_environment_proto_signal_and_back() =>
        AssertSignalsRoundTrip(k => k.ToEnvironmentProto(), p => p.ToContract());

    [Theory]
    [InlineData(3)]
    [InlineData(99)]
    [InlineData(-1)]
    public void Undefined_wire_signals_read_as_unknown_never_cancel(int value)
    {
        Assert.Equal(SignalKind.Unknown, ((InstanceProto.SignalType)value).ToContract());
        Assert.Equal(SignalKind.Unknown, ((ManagementProto.SignalType)value).ToContract());
        Assert.Equal(SignalKind.Unknown, ((EnvironmentProto.SignalType)value).ToContract());
    }

    [Theory]
    [InlineData(SignalKind.Unknown)]
    [InlineData((SignalKind)3)]
    [InlineData((SignalKind)(-2))]
    public void Unknown_and_undefined_signals_do_not_go_on_the_wire(SignalKind kind)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => kind.ToInstanceProto());
        Assert.Throws<ArgumentOutOfRangeException>(() => kind.ToManagementProto());
        Assert.Throws<ArgumentOutOfRangeException>(() => kind.ToEnvironmentProto());
    }

    [Fact]
    public void The_shared_members_keep_the_numbers_user_code_compiled_against()
    {
        // The SDK's and the management client's former enums had these values; stored data and user code rely on them.
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], Statuses.Select(s => (int)s));
        Assert.Equal(["Unknown", "Pending", "Running", "Suspended", "Completed", "Failed", "Cancelled"], Statuses.Select(s => s.ToString()));
        Assert.Equal((0, 1, 2, -1), ((int)SignalKind.Cancel, (int)SignalKind.Pause, (int)SignalKind.Resume, (int)SignalKind.Unknown));
    }

    private static void AssertStatusesRoundTrip<TProto>(Func<InstanceStatus, TProto> toProto, Func<TProto, InstanceStatus> toContract)
        where TProto : struct, Enum
    {
        foreach (var status in Statuses)
        {
            var proto = toProto(status);
            Assert.Equal("Status" + status, proto.ToString());
            Assert.Equal(status, toContract(proto));
        }

        foreach (var proto in Enum.GetValues<TProto>())
        {
            var status = toContract(proto);
            Assert.Equal(proto.ToString(), "Status" + status);
            Assert.Equal(proto, toProto(status));
        }

        Assert.Equal(Statuses.Length, Enum.GetValues<TProto>().Length);
    }

    private static void AssertSignalsRoundTrip<TProto>(Func<SignalKind, TProto> toProto, Func<TProto, SignalKind> toContract)
        where TProto : struct, Enum
    {
        foreach (var kind in KnownSignals)
        {
            var proto = toProto(kind);
            Assert.Equal("Signal" + kind, proto.ToString());
            Assert.Equal(kind, toContract(proto));
        }

        foreach (var proto in Enum.GetValues<TProto>())
        {
            var kind = toContract(proto);
            Assert.Equal(proto.ToString(), "Signal" + kind);
            Assert.Equal(proto, toProto(kind));
        }

        Assert.Equal(KnownSignals.Length, Enum.GetValues<TProto>().Length);
    }
}

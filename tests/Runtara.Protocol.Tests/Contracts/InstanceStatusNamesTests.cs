using Runtara.Protocol.Contracts;
using Mgmt = Runtara.Protocol.Management;
using Json = System.Text.Json.JsonSerializer;

namespace Runtara.Protocol.Tests.Contracts;

/// <summary>The stored status names keyed on the shared enum: the same strings the management-keyed names write.</summary>
public sealed class InstanceStatusNamesTests
{
    [Theory]
    [InlineData(InstanceStatus.Pending, "pending")]
    [InlineData(InstanceStatus.Running, "running")]
    [InlineData(InstanceStatus.Suspended, "suspended")]
    [InlineData(InstanceStatus.Completed, "completed")]
    [InlineData(InstanceStatus.Failed, "failed")]
    [InlineData(InstanceStatus.Cancelled, "cancelled")]
    public void Each_status_has_its_stored_name_and_reads_back(InstanceStatus status, string name)
    {
        Assert.Equal(name, status.ToStorageName());
        Assert.Equal(status, InstanceStatusNames.ParseStorageName(name));
        Assert.True(InstanceStatusNames.TryParseStorageName(name, out var parsed));
        Assert.Equal(status, parsed);
    }

    [Fact]
    public void Both_keys_write_and_read_the_same_names()
    {
        foreach (var status in Enum.GetValues<InstanceStatus>().Where(s => s != InstanceStatus.Unknown))
        {
            var name = status.ToStorageName();
            Assert.Equal(name, Mgmt.InstanceStatusNames.ToStorageName(status.ToManagementProto()));
            Assert.Equal(status.ToManagementProto(), Mgmt.InstanceStatusNames.ParseStorageName(name));
        }

        Assert.Equal(Mgmt.InstanceStatus.StatusSuspended, Mgmt.InstanceStatusNames.ParseStorageName("sleeping"));
        Assert.False(Mgmt.InstanceStatusNames.TryParseStorageName("bogus", out var unknown));
        Assert.Equal(Mgmt.InstanceStatus.StatusUnknown, unknown);
    }

    [Fact]
    public void The_legacy_sleeping_reads_as_suspended() =>
        Assert.Equal(InstanceStatus.Suspended, InstanceStatusNames.ParseStorageName("sleeping"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Running")]
    [InlineData("unknown")]
    public void Other_names_do_not_parse(string? name)
    {
        Assert.False(InstanceStatusNames.TryParseStorageName(name, out var status));
        Assert.Equal(InstanceStatus.Unknown, status);
    }

    [Fact]
    public void Unknown_statuses_are_never_stored()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InstanceStatus.Unknown.ToStorageName());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((InstanceStatus)42).ToStorageName());
        Assert.Throws<FormatException>(() => InstanceStatusNames.ParseStorageName("Running"));
    }

    [Fact]
    public void The_status_serialises_by_name_as_the_management_client_did() =>
        Assert.Equal("\"Completed\"", Json.Serialize(InstanceStatus.Completed));
}

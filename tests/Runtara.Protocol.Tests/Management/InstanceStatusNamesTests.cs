using Runtara.Protocol.Management;

namespace Runtara.Protocol.Tests.Management;

/// <summary>The stored status names the core and the environment share: existing databases depend on them.</summary>
public sealed class InstanceStatusNamesTests
{
    [Theory]
    [InlineData(InstanceStatus.StatusPending, "pending")]
    [InlineData(InstanceStatus.StatusRunning, "running")]
    [InlineData(InstanceStatus.StatusSuspended, "suspended")]
    [InlineData(InstanceStatus.StatusCompleted, "completed")]
    [InlineData(InstanceStatus.StatusFailed, "failed")]
    [InlineData(InstanceStatus.StatusCancelled, "cancelled")]
    public void Each_status_has_its_stored_name_and_reads_back(InstanceStatus status, string name)
    {
        Assert.Equal(name, status.ToStorageName());
        Assert.Equal(status, InstanceStatusNames.ParseStorageName(name));
    }

    [Fact]
    public void The_legacy_sleeping_reads_as_suspended() =>
        Assert.Equal(InstanceStatus.StatusSuspended, InstanceStatusNames.ParseStorageName("sleeping"));

    [Fact]
    public void Unknown_statuses_are_neither_stored_nor_read()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InstanceStatus.StatusUnknown.ToStorageName());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((InstanceStatus)42).ToStorageName());
        Assert.Contains("'Running'", Assert.Throws<FormatException>(() => InstanceStatusNames.ParseStorageName("Running")).Message, StringComparison.Ordinal);
    }
}

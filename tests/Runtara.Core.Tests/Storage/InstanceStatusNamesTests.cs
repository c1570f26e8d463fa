using Runtara.Core.Instances;

namespace Runtara.Core.Tests.Storage;

/// <summary>The core stores its statuses under the names the environment uses (one mapping, in Runtara.Protocol).</summary>
public sealed class InstanceStatusNamesTests
{
    [Theory]
    [InlineData(InstanceStatus.Pending, "pending")]
    [InlineData(InstanceStatus.Running, "running")]
    [InlineData(InstanceStatus.Suspended, "suspended")]
    [InlineData(InstanceStatus.Completed, "completed")]
    [InlineData(InstanceStatus.Failed, "failed")]
    [InlineData(InstanceStatus.Cancelled, "cancelled")]
    public void Each_status_keeps_its_stored_name(InstanceStatus status, string name)
    {
        Assert.Equal(name, status.ToStorageName());
        Assert.Equal(status, InstanceStatusExtensions.ParseStorageName(name));
    }

    [Fact]
    public void Legacy_and_unknown_names()
    {
        Assert.Equal(InstanceStatus.Suspended, InstanceStatusExtensions.ParseStorageName("sleeping"));
        Assert.Throws<FormatException>(() => InstanceStatusExtensions.ParseStorageName("exploded"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ((InstanceStatus)42).ToStorageName());
    }
}

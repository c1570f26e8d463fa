using Runtara.Engine.Instances;

namespace Runtara.Engine.Tests.Storage;

/// <summary>The core stores its statuses under the names the environment uses (one mapping, in Runtara.Protocol).</summary>
public sealed class InstanceStatusNamesTests
{
    [Fact]
    public void Every_status_keeps_its_stored_name_and_reads_back()
    {
        var names = Enum.GetValues<InstanceStatus>().Select(s => s.ToStorageName()).ToList();

        Assert.Equal(["pending", "running", "suspended", "completed", "failed", "cancelled"], names);
        Assert.Equal(Enum.GetValues<InstanceStatus>(), names.Select(InstanceStatusNames.ParseStorageName));
        Assert.Equal(InstanceStatus.Suspended, InstanceStatusNames.ParseStorageName("sleeping"));
        Assert.Throws<FormatException>(() => InstanceStatusNames.ParseStorageName("exploded"));
    }
}

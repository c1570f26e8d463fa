using Runtara.Environment.Instances;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Tests.Instances;

/// <summary>Path-safe ids (SPEC §19.6).</summary>
public sealed class IdentifierTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("tenant-1")]
    [InlineData("550e8400-e29b-41d4-a716-446655440000")]
    [InlineData("order_42.v2")]
    public void Safe_ids_are_accepted(string id) => Assert.True(Identifiers.IsValid(id));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData(".hidden")]
    [InlineData("white space")]
    [InlineData("nul\0byte")]
    public void Ids_that_could_escape_or_confuse_a_path_are_refused(string id)
    {
        Assert.False(Identifiers.IsValid(id));
        Assert.Throws<InvalidArgumentException>(() => Identifiers.Require(id, "instance_id"));
    }

    [Fact]
    public void Ids_longer_than_128_characters_are_refused()
    {
        Assert.True(Identifiers.IsValid(new string('a', 128)));
        Assert.False(Identifiers.IsValid(new string('a', 129)));
    }
}

/// <summary>The environment stores its run statuses under the names the core uses (one mapping, in Runtara.Protocol).</summary>
public sealed class RunStatusNamesTests
{
    [Fact]
    public void Every_run_status_keeps_its_stored_name_and_reads_back()
    {
        var names = Enum.GetValues<RunStatus>().Select(s => s.ToStorage()).ToList();

        Assert.Equal(["pending", "running", "suspended", "completed", "failed", "cancelled"], names);
        Assert.Equal(Enum.GetValues<RunStatus>(), names.Select(RunStatusNames.FromStorage));
        Assert.Equal(RunStatus.Suspended, RunStatusNames.FromStorage("sleeping"));
        Assert.Throws<FormatException>(() => RunStatusNames.FromStorage("exploded"));
    }
}

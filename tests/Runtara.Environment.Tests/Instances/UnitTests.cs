using Runtara.Environment.Instances;
using Runtara.Environment.Storage;

namespace Runtara.Environment.Tests.Instances;

/// <summary>The output contract (SPEC §14.3, §18.3 "Output contract") and path-safe ids (§19.6).</summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly string _path = Path.GetTempFileName();

    [Theory]
    [InlineData("""{"status":"completed","result":{"a":1}}""", "completed")]
    [InlineData("""{"status":"failed","error":"boom"}""", "failed")]
    [InlineData("""{"status":"suspended","checkpoint_id":"paused"}""", "suspended")]
    [InlineData("""{"status":"sleeping","checkpoint_id":"cp","wake_after_ms":5000}""", "sleeping")]
    [InlineData("""{"status":"cancelled","extra":"ignored"}""", "cancelled")]
    public void Each_status_is_parsed(string json, string status)
    {
        File.WriteAllText(_path, json);

        Assert.Equal(status, OutputFile.TryRead(_path)!.Status);
    }

    [Fact]
    public void Fields_of_each_status_are_read()
    {
        File.WriteAllText(_path, """{"status":"sleeping","checkpoint_id":"cp","wake_after_ms":5000}""");
        var sleeping = OutputFile.TryRead(_path)!;
        File.WriteAllText(_path, """{"status":"completed","result":{"a":1}}""");
        var completed = OutputFile.TryRead(_path)!;

        Assert.Equal(("cp", 5000L), (sleeping.CheckpointId, sleeping.WakeAfterMs!.Value));
        Assert.Equal("""{"a":1}""", completed.Result);
        Assert.Null(completed.WakeAfterMs);
    }

    [Theory]
    [InlineData("""{"status":"Completed"}""")]
    [InlineData("""{"status":"done"}""")]
    [InlineData("""{"result":1}""")]
    [InlineData("not json")]
    [InlineData("[]")]
    public void Unknown_or_wrongly_cased_statuses_and_garbage_are_ignored(string json)
    {
        File.WriteAllText(_path, json);

        Assert.Null(OutputFile.TryRead(_path));
    }

    [Fact]
    public void A_missing_file_is_no_output()
    {
        Assert.Null(OutputFile.TryRead(_path + ".missing"));
    }

    public void Dispose() => File.Delete(_path);
}

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

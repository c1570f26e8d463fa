using System.Text;
using Runtara.Protocol.Contracts;

namespace Runtara.Protocol.Tests.Contracts;

/// <summary><c>output.json</c> of the launch contract (SPEC §14.3, §18.3 "Output contract"), as the SDK writes it and the environment reads it.</summary>
public sealed class InstanceOutputTests
{
    private static string Text(InstanceOutput output) => Encoding.UTF8.GetString(output.ToUtf8Bytes());

    private static InstanceOutput? Parse(string json) => InstanceOutput.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Each_status_is_written_with_only_its_fields()
    {
        Assert.Equal("""{"status":"completed","result":{"n":5}}""", Text(InstanceOutput.Completed("""{"n":5}""")));
        Assert.Equal("""{"status":"completed","result":null}""", Text(InstanceOutput.Completed(null)));
        Assert.Equal("""{"status":"failed","error":"Step \u0027x\u0027 failed \u0022quoted\u0022"}""", Text(InstanceOutput.Failed("Step 'x' failed \"quoted\"")));
        Assert.Equal("""{"status":"cancelled"}""", Text(InstanceOutput.Cancelled()));
        Assert.Equal("""{"status":"suspended","checkpoint_id":"step:two"}""", Text(InstanceOutput.Suspended("step:two")));
        Assert.Equal("""{"status":"sleeping","checkpoint_id":"sleep:nap","wake_after_ms":60000}""", Text(InstanceOutput.Sleeping("sleep:nap", 60_000)));
    }

    [Fact]
    public void A_superseded_run_is_a_failure_with_its_reason_and_reads_back_as_superseded()
    {
        var output = InstanceOutput.Superseded("instance i: incarnation 1 was superseded by incarnation 2");

        Assert.Equal("""{"status":"failed","error":"superseded: instance i: incarnation 1 was superseded by incarnation 2","reason":"superseded"}""", Text(output));
        var read = Parse(Text(output))!;
        Assert.True(read.IsSuperseded);
        Assert.False(read.IsCoreUnavailable);
        Assert.False(InstanceOutput.Failed("x").IsSuperseded);
        Assert.Equal(77, ExitCodes.Superseded);
    }

    [Fact]
    public void A_written_document_reads_back_equal()
    {
        InstanceOutput[] outputs =
        [
            InstanceOutput.Completed("""{"items":[1,2,3],"name":"ü"}"""),
            InstanceOutput.Completed(null),
            InstanceOutput.Failed("boom"),
            InstanceOutput.Cancelled(),
            InstanceOutput.Suspended("paused"),
            InstanceOutput.Sleeping("cp", 5_000),
        ];

        Assert.Equal(outputs, outputs.Select(o => InstanceOutput.Parse(o.ToUtf8Bytes())));
    }

    [Fact]
    public void The_result_is_kept_as_its_raw_json_text()
    {
        var completed = Parse("""{"status":"completed","result":{"a":1}}""")!;
        var nothing = Parse("""{"status":"completed","result":null}""")!;
        var failed = Parse("""{"status":"failed","error":"boom"}""")!;

        Assert.Equal("""{"a":1}""", completed.Result);
        Assert.Equal("null", nothing.Result);
        Assert.Null(failed.Result);
    }

    [Theory]
    [InlineData("""{"status":"completed","result":{"a":1}}""", "completed")]
    [InlineData("""{"status":"failed","error":"boom"}""", "failed")]
    [InlineData("""{"status":"suspended","checkpoint_id":"paused"}""", "suspended")]
    [InlineData("""{"status":"sleeping","checkpoint_id":"cp","wake_after_ms":5000}""", "sleeping")]
    [InlineData("""{"status":"cancelled","extra":"ignored"}""", "cancelled")]
    public void Each_status_is_parsed(string json, string status)
    {
        Assert.Equal(status, Parse(json)!.Status);
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var output = Parse("""{"exit":{"code":0},"status":"sleeping","checkpoint_id":"cp","sdk":"rust","wake_after_ms":5000,"tags":[1,{"a":null}]}""");

        Assert.Equal(InstanceOutput.Sleeping("cp", 5_000), output);
    }

    [Fact]
    public void Known_fields_of_the_wrong_type_read_as_absent()
    {
        var failed = Parse("""{"status":"failed","error":{"message":"boom"},"checkpoint_id":7}""")!;
        var sleeping = Parse("""{"status":"sleeping","checkpoint_id":"cp","wake_after_ms":"soon"}""")!;
        var fractional = Parse("""{"status":"sleeping","checkpoint_id":"cp","wake_after_ms":1.5}""")!;

        Assert.Equal((null, null), (failed.Error, failed.CheckpointId));
        Assert.Null(sleeping.WakeAfterMs);
        Assert.Null(fractional.WakeAfterMs);
    }

    [Theory]
    [InlineData("""{"status":"Completed"}""")]
    [InlineData("""{"status":"done"}""")]
    [InlineData("""{"status":null}""")]
    [InlineData("""{"status":5}""")]
    [InlineData("""{"result":1}""")]
    [InlineData("not json")]
    [InlineData("""{"status":"completed","result":""")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("")]
    public void Unknown_or_wrongly_cased_statuses_and_garbage_are_no_output(string json)
    {
        Assert.Null(Parse(json));
    }

    [Fact]
    public void A_missing_or_garbled_file_is_no_output()
    {
        using var directory = new TempDirectory();
        var garbled = Path.Combine(directory.Path, "output.json");
        File.WriteAllBytes(garbled, [0xFF, 0xFE, 0x00, (byte)'{']);

        Assert.Null(InstanceOutput.TryRead(Path.Combine(directory.Path, "missing.json")));
        Assert.Null(InstanceOutput.TryRead(Path.Combine(directory.Path, "no-such-directory", "output.json")));
        Assert.Null(InstanceOutput.TryRead(garbled));
    }

    [Fact]
    public async Task The_file_is_replaced_whole_and_reads_back()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "run", "output.json");

        await InstanceOutput.Failed("first").WriteAsync(path, CancellationToken.None);
        await InstanceOutput.Completed("""{"n":1}""").WriteAsync(path, CancellationToken.None);

        Assert.Equal("""{"status":"completed","result":{"n":1}}""", await File.ReadAllTextAsync(path));
        Assert.Equal(InstanceOutput.Completed("""{"n":1}"""), InstanceOutput.TryRead(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}

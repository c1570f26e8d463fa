using Runtara.Protocol.Contracts;

namespace Runtara.Protocol.Tests.Contracts;

/// <summary>The launch file of warm OCI containers (docs/instance-contract.md, "Launch file"): what the environment writes, the SDK and the test instance read.</summary>
public sealed class LaunchFileTests
{
    [Fact]
    public void What_is_written_parses_back_with_every_character_kept()
    {
        var variables = new Dictionary<string, string>
        {
            [LaunchVariables.InstanceId] = "i-1",
            [LaunchVariables.InstanceToken] = "v1.abc_-.\"quoted\"",
            ["CUSTOM"] = "line\nbreak é ✓",
            ["EMPTY"] = string.Empty,
        };

        Assert.Equal(variables, LaunchFile.Parse(LaunchFile.Serialize(variables)));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"A":1}""")]
    [InlineData("""{"A":{"B":"c"}}""")]
    [InlineData("""{"A":"b" """)]
    [InlineData("")]
    public void Anything_but_one_object_of_strings_is_refused(string json)
    {
        Assert.Throws<FormatException>(() => LaunchFile.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void The_overlay_reads_the_file_named_by_the_variable_over_the_others()
    {
        var file = Path.Combine(Path.GetTempPath(), $"launch-{Guid.NewGuid():N}.json");
        File.WriteAllBytes(file, LaunchFile.Serialize([KeyValuePair.Create(LaunchVariables.InstanceId, "from-file")]));
        try
        {
            var environment = new Dictionary<string, string> { [LaunchVariables.LaunchFile] = file, [LaunchVariables.InstanceId] = "from-env", ["OTHER"] = "kept" };

            var read = LaunchFile.Overlay(environment.GetValueOrDefault);

            Assert.Equal("from-file", read(LaunchVariables.InstanceId));
            Assert.Equal("kept", read("OTHER"));
            Assert.Null(read("MISSING"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public async Task A_fifo_is_read_to_its_end_once_and_later_reads_get_what_it_gave()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "named pipes (mkfifo) as warm processes use them");
        var fifo = Path.Combine(Path.GetTempPath(), $"launch-{Guid.NewGuid():N}.launch");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
        }

        try
        {
            var environment = new Dictionary<string, string> { [LaunchVariables.LaunchFile] = fifo, [LaunchVariables.InstanceId] = "from-env" };
            Assert.True(LaunchFile.IsAwaited(fifo));

            // The reader blocks in open() until the environment writes the run (a warm process).
            var reading = Task.Run(() => LaunchFile.Overlay(environment.GetValueOrDefault));
            await Task.Delay(50);
            Assert.False(reading.IsCompleted);
            var large = new string('x', 200_000);
            await File.WriteAllBytesAsync(fifo, LaunchFile.Serialize([KeyValuePair.Create(LaunchVariables.InstanceId, "from-fifo"), KeyValuePair.Create("LARGE", large)]));

            var read = await reading.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("from-fifo", read(LaunchVariables.InstanceId));
            Assert.Equal(large, read("LARGE"));
            // No second writer ever comes: a second read must not open the FIFO again.
            Assert.Equal("from-fifo", LaunchFile.Overlay(environment.GetValueOrDefault)(LaunchVariables.InstanceId));
            Assert.False(LaunchFile.IsAwaited(fifo));
        }
        finally
        {
            File.Delete(fifo);
        }
    }

    [Fact]
    public void A_launch_file_written_ahead_is_not_awaited()
    {
        var path = Path.Combine(Path.GetTempPath(), $"launch-{Guid.NewGuid():N}.json");
        File.WriteAllBytes(path, LaunchFile.Serialize([KeyValuePair.Create(LaunchVariables.InstanceId, "i-1")]));
        try
        {
            Assert.False(LaunchFile.IsAwaited(path));
            Assert.False(LaunchFile.IsAwaited(path + ".missing"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using System.Text.Json;
using Runtara.EndToEnd.Tests.Infrastructure;

namespace Runtara.EndToEnd.Tests.Cli;

/// <summary><c>runtara instances delete &lt;id&gt;</c> (docs/operations.md "Retention") with the real executable, environment and core processes.</summary>
[Collection(PlatformCollection.Name)]
public sealed class InstanceDeleteCliTests(PlatformFixture fixture)
{
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task A_finished_instance_is_deleted_through_the_cli_and_a_live_one_is_refused()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);
        var finished = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"input":{"message":"delete me"}}""")).Stdout.Trim();
        Assert.Equal("completed", Json(await Run(tenant, "instances", "wait", finished, "--poll", "200", "--timeout", "60", "--output", "json")).GetProperty("status").GetString());
        var live = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"mode":"wait_signal"}""")).Stdout.Trim();
        await Wait.UntilAsync(async () => Json(await Run(tenant, "instances", "status", live, "--output", "json")).GetProperty("status").GetString(), s => s == "running", TimeSpan.FromSeconds(30), $"{live} to be running");

        var refused = await _platform.RunCliAsync(tenant, "instances", "delete", live);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("INVALID_INSTANCE_STATE", refused.Stderr, StringComparison.Ordinal);
        var foreign = await _platform.RunCliAsync(Ids.Tenant(), "instances", "delete", finished);
        Assert.Equal(3, foreign.ExitCode);
        Assert.Contains("INSTANCE_NOT_FOUND", foreign.Stderr, StringComparison.Ordinal);

        var deleted = await Run(tenant, "instances", "delete", finished);
        Assert.Equal($"Deleted: {finished}", deleted.Stdout.Trim());

        var gone = await _platform.RunCliAsync(tenant, "instances", "status", finished);
        Assert.Equal(3, gone.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_platform.Root, "env", "runs", tenant, finished)));
        var checkpoints = await _platform.RunCliAsync(tenant, "checkpoints", "list", finished);
        Assert.NotEqual(0, checkpoints.ExitCode);
        Assert.Equal("running", Json(await Run(tenant, "instances", "status", live, "--output", "json")).GetProperty("status").GetString());
        await Run(tenant, "instances", "stop", live);
    }

    private async Task<CliResult> Run(string tenant, params string[] arguments)
    {
        var result = await _platform.RunCliAsync(tenant, arguments);
        Assert.True(result.ExitCode == 0, $"runtara {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    private static JsonElement Json(CliResult result) => JsonDocument.Parse(result.Stdout).RootElement.Clone();
}

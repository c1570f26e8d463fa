using System.Text.Json;
using Runtara.EndToEnd.Tests.Infrastructure;

namespace Runtara.EndToEnd.Tests.Cli;

/// <summary>The real `runtara` executable against a running environment (SPEC §16.3, §18.4, §18.5 basic workflow).</summary>
[Collection(PlatformCollection.Name)]
public sealed class CliTests(PlatformFixture fixture)
{
    private readonly Platform _platform = fixture.Platform;

    [Fact]
    public async Task Register_start_wait_inspect_and_delete_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var health = await Run(tenant, "health");
        Assert.StartsWith("healthy", health.Stdout, StringComparison.Ordinal);

        var register = await Run(tenant, "images", "register", _platform.TestImageZip(), "--name", "cli-image", "--entrypoint", "Runtara.TestInstance.dll");
        var imageId = register.Stdout.Trim();
        Assert.True(Guid.TryParse(imageId, out _), register.ToString());

        var images = Json(await Run(tenant, "images", "list", "--output", "json"));
        Assert.Equal(1, images.GetProperty("totalCount").GetInt32());
        Assert.Equal("cli-image", images.GetProperty("images")[0].GetProperty("name").GetString());
        Assert.Contains("cli-image", (await Run(tenant, "images", "list")).Stdout, StringComparison.Ordinal);

        var start = await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"input":{"message":"Hello from E2E test","number":42}}""");
        var instanceId = start.Stdout.Trim();

        var waited = Json(await Run(tenant, "instances", "wait", instanceId, "--poll", "200", "--timeout", "60", "--output", "json"));
        Assert.Equal("completed", waited.GetProperty("status").GetString());
        Assert.Equal("Hello from E2E test", waited.GetProperty("output").GetProperty("echo").GetProperty("input").GetProperty("message").GetString());

        var status = await Run(tenant, "instances", "status", instanceId);
        Assert.Contains("completed", status.Stdout, StringComparison.Ordinal);
        var list = Json(await Run(tenant, "instances", "list", "--output", "json"));
        Assert.Equal(instanceId, list.GetProperty("instances")[0].GetProperty("instanceId").GetString());
        var logs = await Run(tenant, "instances", "logs", instanceId, "--stream", "stdout");
        Assert.Contains($"registered {instanceId}", logs.Stdout, StringComparison.Ordinal);
        var checkpoints = Json(await Run(tenant, "checkpoints", "list", instanceId, "--output", "json"));
        Assert.Equal("step-1", checkpoints.GetProperty("checkpoints")[0].GetProperty("checkpointId").GetString());
        var checkpoint = await Run(tenant, "checkpoints", "get", instanceId, "step-1");
        Assert.Contains("Hello from E2E test", checkpoint.Stdout, StringComparison.Ordinal);

        var deleted = await Run(tenant, "images", "delete", imageId);
        Assert.Equal($"Deleted: {imageId}", deleted.Stdout.Trim());
        var gone = await _platform.RunCliAsync(tenant, "images", "get", imageId);
        Assert.Equal(3, gone.ExitCode);
        Assert.Contains("IMAGE_NOT_FOUND", gone.Stderr, StringComparison.Ordinal);

        // A published folder is zipped by the CLI; its entrypoint is the only *.runtimeconfig.json's .dll.
        var folder = Json(await Run(tenant, "images", "register", Paths.TestInstanceFolder, "--name", "cli-folder", "--output", "json"));
        Assert.Equal("cli-folder", folder.GetProperty("name").GetString());
        Assert.Equal("Runtara.TestInstance.dll", folder.GetProperty("entrypoint").GetString());
    }

    [Fact]
    public async Task Image_versions_are_listed_started_on_and_deleted_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var imageId = (await Run(tenant, "images", "register", _platform.TestImageZip(), "--name", "cli-versions", "--entrypoint", "Runtara.TestInstance.dll")).Stdout.Trim();
        var script = Path.Combine(Path.GetTempPath(), $"runtara-cli-v2-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho 'version 2 ran' >&2\nexit 7\n");
        try
        {
            Assert.Equal(imageId, (await Run(tenant, "images", "register", script, "--name", "cli-versions")).Stdout.Trim());
        }
        finally
        {
            File.Delete(script);
        }

        var versions = Json(await Run(tenant, "images", "versions", "cli-versions", "--output", "json"));
        Assert.Equal([2, 1], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Contains("Runtara.TestInstance.dll", (await Run(tenant, "images", "versions", imageId)).Stdout, StringComparison.Ordinal);

        var onOne = (await Run(tenant, "instances", "start", "--image", imageId, "--image-version", "1", "--input", """{"mode":"wait_signal"}""")).Stdout.Trim();
        await WaitForAsync(onOne, "running");
        Assert.Contains("cli-versions version 1", (await Run(tenant, "instances", "status", onOne)).Stdout, StringComparison.Ordinal);
        var refused = await _platform.RunCliAsync(tenant, "images", "delete", imageId, "--version", "1");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("IMAGE_IN_USE", refused.Stderr, StringComparison.Ordinal);

        await Run(tenant, "signal", onOne, "cancel");
        Assert.Equal("cancelled", Json(await Run(tenant, "instances", "wait", onOne, "--poll", "100", "--timeout", "60", "--output", "json")).GetProperty("status").GetString());
        await Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(onOne, tenant), i => i.Pid is null, TimeSpan.FromSeconds(30), "the cancelled process to exit");
        Assert.Equal($"Deleted: {imageId} version 1", (await Run(tenant, "images", "delete", imageId, "--version", "1")).Stdout.Trim());
        Assert.Equal([2], Json(await Run(tenant, "images", "versions", imageId, "--output", "json")).EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task Instances_are_re_run_and_forked_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);
        var completed = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"message":"fork me"}""", "--wait")).Stdout;
        var source = Json(await Run(tenant, "instances", "list", "--output", "json")).GetProperty("instances")[0].GetProperty("instanceId").GetString()!;
        Assert.Contains("completed", completed, StringComparison.Ordinal);

        var fork = Json(await Run(tenant, "instances", "fork", source, "--from", "step-1", "--instance-id", source + "-fork", "--output", "json"));
        Assert.Equal((source + "-fork", 1), (fork.GetProperty("instanceId").GetString(), fork.GetProperty("checkpointsCopied").GetInt32()));
        var forked = Json(await Run(tenant, "instances", "wait", source + "-fork", "--poll", "100", "--timeout", "60", "--output", "json"));
        Assert.Equal("completed", forked.GetProperty("status").GetString());
        // The fork's step found the copied checkpoint instead of saving a new one.
        Assert.True(forked.GetProperty("output").GetProperty("replayed").GetBoolean());
        Assert.Contains($"fork of {source} at step-1", (await Run(tenant, "instances", "status", source + "-fork")).Stdout, StringComparison.Ordinal);

        var refused = await _platform.RunCliAsync(tenant, "instances", "rerun", source);
        Assert.Contains("INVALID_INSTANCE_STATE", refused.Stderr, StringComparison.Ordinal);
        var failed = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"mode":"fail"}""")).Stdout.Trim();
        Assert.Equal("failed", Json(await Run(tenant, "instances", "wait", failed, "--poll", "100", "--timeout", "60", "--output", "json")).GetProperty("status").GetString());
        var rerun = (await Run(tenant, "instances", "rerun", failed)).Stdout.Trim();
        Assert.True(Guid.TryParse(rerun, out _), rerun);
        Assert.Equal($"rerun of {failed}", Json(await Run(tenant, "instances", "status", rerun, "--output", "json")).GetProperty("origin").GetString());
    }

    [Fact]
    public async Task Signals_pause_resume_cancel_and_custom_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);

        var paused = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"mode":"wait_signal"}""")).Stdout.Trim();
        await WaitForAsync(paused, "running");
        Assert.Equal($"Paused: {paused}", (await Run(tenant, "signal", paused, "pause")).Stdout.Trim());
        Assert.Equal("suspended", Json(await Run(tenant, "instances", "wait", paused, "--until-suspended", "--poll", "100", "--timeout", "60", "--output", "json")).GetProperty("status").GetString());
        await Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(paused), i => i.Pid is null, TimeSpan.FromSeconds(30), "the paused process to exit");
        Assert.Equal($"Resumed: {paused}", (await Run(tenant, "signal", paused, "resume")).Stdout.Trim());
        Assert.Equal("completed", Json(await Run(tenant, "instances", "wait", paused, "--poll", "100", "--timeout", "60", "--output", "json")).GetProperty("status").GetString());

        var cancelled = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"mode":"wait_signal"}""")).Stdout.Trim();
        await WaitForAsync(cancelled, "running");
        await Run(tenant, "signal", cancelled, "cancel", "--reason", "test");
        Assert.Equal("cancelled", Json(await Run(tenant, "instances", "wait", cancelled, "--poll", "100", "--timeout", "60", "--output", "json")).GetProperty("status").GetString());

        var custom = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"mode":"custom_signal"}""")).Stdout.Trim();
        await WaitForAsync(custom, "running");
        await Run(tenant, "signal", custom, "custom", "wait-input", "from-cli");
        var done = Json(await Run(tenant, "instances", "wait", custom, "--poll", "100", "--timeout", "60", "--output", "json"));
        Assert.Equal("from-cli", done.GetProperty("output").GetProperty("received").GetString());
    }

    [Fact]
    public async Task Retry_attempts_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);
        var id = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"mode":"retry"}""")).Stdout.Trim();
        await WaitForAsync(id, "completed");

        // RetryAttempt is one-way: the core may store the last one just after the completion.
        var json = await Wait.UntilAsync(
            async () => Json(await Run(tenant, "instances", "retries", id, "--output", "json")), j => j.GetProperty("totalCount").GetInt32() == 2, TimeSpan.FromSeconds(30), "two retry attempts");
        var attempts = json.GetProperty("attempts");
        Assert.Equal((id, "step-1", 2, "attempt 1 failed"), (attempts[0].GetProperty("instanceId").GetString(), attempts[0].GetProperty("checkpointId").GetString(),
            attempts[0].GetProperty("attemptNumber").GetInt32(), attempts[0].GetProperty("errorMessage").GetString()));
        Assert.Equal(3, attempts[1].GetProperty("attemptNumber").GetInt32());
        var table = await Run(tenant, "instances", "retries", id, "--checkpoint", "step-1", "--limit", "1", "--offset", "1");
        Assert.Contains("attempt 2 failed", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 of 2 retry attempt(s)", table.Stdout, StringComparison.Ordinal);
        var unknown = await _platform.RunCliAsync(tenant, "instances", "retries", "no-such-instance");
        Assert.Equal(3, unknown.ExitCode);
        Assert.Contains("INSTANCE_NOT_FOUND", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_with_grace_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);
        var id = (await Run(tenant, "instances", "start", "--image", imageId, "--input", """{"mode":"wait_signal"}""")).Stdout.Trim();
        await WaitForAsync(id, "running");

        var stopped = await Run(tenant, "instances", "stop", id, "--grace", "5", "--reason", "maintenance");

        Assert.Equal($"Stopped: {id}", stopped.Stdout.Trim());
        Assert.Equal("cancelled", Json(await Run(tenant, "instances", "status", id, "--output", "json")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_of_finished_instances_through_the_cli()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);
        var from = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var id = (await Run(tenant, "instances", "start", "--image", imageId)).Stdout.Trim();
        await WaitForAsync(id, "completed");
        await Wait.UntilAsync(() => _platform.Client.GetInstanceAsync(id), i => i.Pid is null && i.ExitCode is not null, TimeSpan.FromSeconds(30), $"{id}'s process to exit");
        var to = DateTimeOffset.UtcNow.AddSeconds(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        var json = Json(await Run(tenant, "metrics", "--from", from, "--to", to, "--granularity", "daily", "--output", "json"));
        var table = await Run(tenant, "metrics", "--from", from, "--to", to);
        var reversed = await _platform.RunCliAsync(tenant, "metrics", "--from", to, "--to", from);

        var bucket = Assert.Single(json.GetProperty("buckets").EnumerateArray(), b => b.GetProperty("invocationCount").GetInt64() > 0);
        Assert.Equal((tenant, "daily"), (json.GetProperty("tenantId").GetString(), json.GetProperty("granularity").GetString()));
        Assert.Equal((1L, 1L, 100.0), (bucket.GetProperty("invocationCount").GetInt64(), bucket.GetProperty("successCount").GetInt64(), bucket.GetProperty("successRatePercent").GetDouble()));
        Assert.True(bucket.GetProperty("maxDurationSeconds").GetDouble() > 0);
        Assert.Contains("BUCKET", table.Stdout, StringComparison.Ordinal);
        Assert.Contains($"1 finished instance(s) of tenant {tenant}", table.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, reversed.ExitCode);
        Assert.Contains("is after end_time_ms", reversed.Stderr, StringComparison.Ordinal);
        Assert.Contains("(INVALID_ARGUMENT)", reversed.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_are_clear_and_exit_codes_tell_the_kind()
    {
        var tenant = Ids.Tenant();
        var imageId = await _platform.RegisterTestImageAsync(tenant);

        var unknownImage = await _platform.RunCliAsync(tenant, "instances", "start", "--image", Guid.NewGuid().ToString());
        var badJson = await _platform.RunCliAsync(tenant, "instances", "start", "--image", imageId, "--input", "{oops");
        var unknownInstance = await _platform.RunCliAsync(tenant, "instances", "status", "no-such-instance");
        var missingFlag = await _platform.RunCliAsync(tenant, "images", "register", _platform.TestImageZip());
        var badSignal = await _platform.RunCliAsync(tenant, "signal", "x", "explode");
        var otherTenant = await _platform.RunCliAsync(Ids.Tenant(), "images", "get", imageId);
        var unreachable = await _platform.RunCliAsync(tenant, "health", "--address", "127.0.0.1:1");
        var untrusted = await _platform.RunCliAsync(tenant, "health", "--pinned-cert", Path.Combine(_platform.Root, "core", "tls", "runtara-dev.crt"));
        var wrongKey = await _platform.RunCliAsync(tenant, "images", "list", "--api-key", "not-the-environments-api-key");

        Assert.Equal(3, unknownImage.ExitCode);
        Assert.Contains("IMAGE_NOT_FOUND", unknownImage.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badJson.ExitCode);
        Assert.Contains("not valid JSON", badJson.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, unknownInstance.ExitCode);
        Assert.Equal(2, missingFlag.ExitCode);
        Assert.Contains("--name", missingFlag.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badSignal.ExitCode);
        Assert.Equal(3, otherTenant.ExitCode);
        Assert.Equal(4, unreachable.ExitCode);
        Assert.Contains("UNAVAILABLE", unreachable.Stderr, StringComparison.Ordinal);
        Assert.Equal(4, untrusted.ExitCode);
        Assert.Contains("TLS_FAILURE", untrusted.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, wrongKey.ExitCode);
        Assert.Contains("UNAUTHENTICATED", wrongKey.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-environments-api-key", wrongKey.Stderr + wrongKey.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await _platform.Client.ListInstancesAsync(new Management.ListInstancesOptions { TenantId = tenant })).TotalCount);
    }

    private async Task<CliResult> Run(string tenant, params string[] arguments)
    {
        var result = await _platform.RunCliAsync(tenant, arguments);
        Assert.True(result.ExitCode == 0, $"runtara {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    private async Task WaitForAsync(string id, string status) =>
        await Wait.UntilAsync(async () => Json(await Run(null!, "instances", "status", id, "--output", "json")).GetProperty("status").GetString(), s => s == status, TimeSpan.FromSeconds(30), $"{id} to be {status}");

    private static JsonElement Json(CliResult result) => JsonDocument.Parse(result.Stdout).RootElement.Clone();
}

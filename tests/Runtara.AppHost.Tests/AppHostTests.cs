using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.AppHost.Tests;

/// <summary>
/// The whole platform through Aspire.Hosting.Testing: the AppHost as written (with Aspire-chosen
/// protocol ports and a throwaway data directory), every resource healthy, the start-up batch job
/// completed, a sample instance run end to end through the environment with the management client
/// configured from the environment's connection string, the dashboard commands, and nothing left running.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class AppHostTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task The_apphost_runs_the_platform_and_a_sample_instance_end_to_end_and_leaves_no_processes()
    {
        using var data = new Runtara.Testing.TempDirectory("runtara-apphost");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var ct = timeout.Token;
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Runtara_AppHost>(
            ["--Runtara:AppHost:FixedPorts=false", $"--Runtara:AppHost:DataDirectory={data.Path}"], ct);
        await using (var app = await appHost.BuildAsync(ct))
        {
            await app.StartAsync(ct);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("core", ct).WaitAsync(Deadline, ct);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("environment", ct).WaitAsync(Deadline, ct);

            // The AppHost registers the samples and runs one batch job to completion by itself.
            await app.ResourceNotifications.WaitForResourceAsync("batch-job", "Completed", ct).WaitAsync(Deadline, ct);
            await app.ResourceNotifications.WaitForResourceAsync("order-workflow", "Registered", ct).WaitAsync(Deadline, ct);
            await app.ResourceNotifications.WaitForResourceAsync("quote", "Registered", ct).WaitAsync(Deadline, ct);

            // The client-side counterpart reads what the hosting side provides (address + certificate to pin).
            var connectionString = await app.GetConnectionStringAsync("environment", ct);
            Assert.StartsWith("Endpoint=tcp://", connectionString, StringComparison.Ordinal);
            using var clientHost = ManagementClientHost.For(connectionString);
            var client = clientHost.Services.GetRequiredService<RuntaraManagementClient>();

            var batchImage = (await client.ListImagesAsync(cancellationToken: ct)).Images.Single(i => i.Name == "batch-job");
            var startup = Assert.Single((await client.ListInstancesAsync(new ListInstancesOptions { ImageId = batchImage.ImageId }, ct)).Instances);
            Assert.Equal(InstanceStatus.Completed, startup.Status);

            var id = await client.StartInstanceAsync(new StartInstanceOptions { ImageId = batchImage.ImageId, Input = """{"items":5,"workMs":1,"period":"2026-12"}""" }, ct);
            var info = await client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(200), Timeout = Deadline }, cancellationToken: ct);
            Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
            var result = info.Output!.Value;
            Assert.Equal("2026-12", result.GetProperty("period").GetString());
            Assert.Equal(5, result.GetProperty("items").GetInt32());
            Assert.Equal(5, result.GetProperty("processedInThisRun").GetInt32());
            Assert.Matches("^[0-9a-f]{64}$", result.GetProperty("digest").GetString());

            // The core recorded one checkpoint per item.
            var checkpoints = await client.ListCheckpointsAsync(id, cancellationToken: ct);
            Assert.Equal(["step:invoice/0", "step:invoice/1", "step:invoice/2", "step:invoice/3", "step:invoice/4"], checkpoints.Checkpoints.Select(c => c.CheckpointId).Order(StringComparer.Ordinal));

            // The quote image (the native AOT sample's JIT build output) runs its one step.
            var quoteImage = (await client.ListImagesAsync(cancellationToken: ct)).Images.Single(i => i.Name == "quote");
            var quoteId = await client.StartInstanceAsync(new StartInstanceOptions { ImageId = quoteImage.ImageId, Input = """{"sku":"sku-7","quantity":2}""" }, ct);
            var quote = await client.WaitForCompletionAsync(quoteId, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(200), Timeout = Deadline }, cancellationToken: ct);
            Assert.True(quote.Status == InstanceStatus.Completed, $"{quote.Status}: {quote.Error}\n{quote.Stderr}");
            Assert.Equal(quote.Output!.Value.GetProperty("unitPrice").GetDecimal() * 2, quote.Output!.Value.GetProperty("total").GetDecimal());

            await DashboardCommandsAsync(app, ct);
            await ApproveFromTheInstanceResourceAsync(app, client, ct);
            await ScheduledQuoteFiresAsync(app, client, quoteImage.ImageId, ct);
            await app.StopAsync(ct);
        }

        var left = await LeftoverProcesses.WaitUntilGoneAsync(data.Path, TimeSpan.FromSeconds(60));
        Assert.True(left.Count == 0, "processes left behind:\n" + string.Join('\n', left));
    }

    /// <summary>
    /// The quote's <c>WithSchedule("0 * * * * *")</c>: the resource shows the schedule and its next fire, and the
    /// environment starts <c>quote-&lt;yyyyMMddTHHmm00Z&gt;</c> at second 0 of a minute, which completes.
    /// </summary>
    private async Task ScheduledQuoteFiresAsync(DistributedApplication app, RuntaraManagementClient client, string quoteImageId, CancellationToken ct)
    {
        var shown = await app.ResourceNotifications.WaitForResourceAsync("quote", e => e.Snapshot.Properties.Any(p => p.Name == "runtara.schedule.next-fire" && p.Value is not null), ct).WaitAsync(Deadline, ct);
        output.WriteLine($"quote schedule: {string.Join(", ", shown.Snapshot.Properties.Where(p => p.Name.StartsWith("runtara.schedule", StringComparison.Ordinal)).Select(p => $"{p.Name}={p.Value}"))}");
        Assert.Contains(shown.Snapshot.Properties, p => p.Name == "runtara.schedule.quote" && p.Value is string text && text.StartsWith("cron 0 * * * * *, next ", StringComparison.Ordinal));

        var fired = await Wait.UntilAsync(() => client.ListInstancesAsync(new ListInstancesOptions { ImageId = quoteImageId }, ct),
            l => l.Instances.Any(i => i.InstanceId.StartsWith("quote-", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "a scheduled quote");
        var scheduled = fired.Instances.First(i => i.InstanceId.StartsWith("quote-", StringComparison.Ordinal)).InstanceId;
        Assert.Matches("^quote-\\d{8}T\\d{4}00Z$", scheduled);
        var done = await client.WaitForCompletionAsync(scheduled, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(200), Timeout = Deadline }, cancellationToken: ct);
        Assert.True(done.Status == InstanceStatus.Completed, $"{done.Status}: {done.Error}\n{done.Stderr}");
    }

    /// <summary>The order workflow waits for its approval: start it, then pause, resume and cancel it from its resource's commands.</summary>
    private async Task DashboardCommandsAsync(DistributedApplication app, CancellationToken ct)
    {
        const string Resource = "order-workflow";
        await CommandAsync(RuntaraImageExtensions.StartCommand);
        await StateAsync("Running");
        await CommandAsync(RuntaraImageExtensions.PauseCommand);
        await StateAsync("Suspended");
        // The core reports SUSPENDED as soon as the instance acknowledged the pause; the environment
        // accepts a resume once the paused process has exited, a moment later.
        await Wait.UntilAsync(() => app.ResourceCommands.ExecuteCommandAsync(Resource, RuntaraImageExtensions.ResumeCommand, ct), r => r.Success, Deadline, "the resume command to be accepted");
        await StateAsync("Running");
        await CommandAsync(RuntaraImageExtensions.CancelCommand);
        await StateAsync("Cancelled");

        async Task CommandAsync(string name)
        {
            var result = await app.ResourceCommands.ExecuteCommandAsync(Resource, name, ct);
            output.WriteLine($"{name}: {result.Success} {result.Message}");
            Assert.True(result.Success, $"{name}: {result.Message}");
        }

        Task StateAsync(string state) => app.ResourceNotifications.WaitForResourceAsync(Resource, state, ct).WaitAsync(Deadline, ct);
    }

    /// <summary>
    /// Orders approved as a newcomer would: one from its own resource under the image with "Send signal"
    /// and the approval as JSON (a payload that is not JSON is refused first), its 30-second reminder sleep
    /// shown as what it waits for; another with the sample's <c>approve</c> mode given the environment's
    /// connection string. Both complete with their approver in the output.
    /// </summary>
    private async Task ApproveFromTheInstanceResourceAsync(DistributedApplication app, RuntaraManagementClient client, CancellationToken ct)
    {
        var instanceId = await StartOrderAsync();
        var resource = $"order-workflow-{Guid.Parse(instanceId):N}"[..("order-workflow-".Length + 8)];
        await app.ResourceNotifications.WaitForResourceAsync(resource, "Running", ct).WaitAsync(Deadline, ct);

        // Aspire runs the command's argument validation first: the dashboard shows the reason next to the payload.
        var refused = await SignalAsync("approve", "{\"approved\":true,");
        output.WriteLine($"send signal (not JSON): {refused.Success} {refused.Message}");
        Assert.False(refused.Success);
        Assert.False(string.IsNullOrEmpty(refused.Message));

        var sent = await SignalAsync("approve", """{"approved":true,"approvedBy":"ann"}""");
        output.WriteLine($"send signal: {sent.Success} {sent.Message}");
        Assert.True(sent.Success, sent.Message);

        var sleeping = await app.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text?.StartsWith("Suspended: sleeping until", StringComparison.Ordinal) == true, ct).WaitAsync(Deadline, ct);
        output.WriteLine($"{resource}: {sleeping.Snapshot.State?.Text}");
        Assert.Contains(sleeping.Snapshot.Properties, p => p.Name == "runtara.instance.id" && Equals(p.Value, instanceId));

        // The other route: the sample's approver, given the environment's connection string as the AppHost hands it out.
        var byApprover = await StartOrderAsync();
        var connectionString = await app.GetConnectionStringAsync("environment", ct);
        var (exitCode, approverOutput) = await RunApproverAsync(byApprover, "bob", connectionString!, ct);
        output.WriteLine($"approver: exit {exitCode}: {approverOutput}");
        Assert.Equal(0, exitCode);

        foreach (var (id, approver) in new[] { (instanceId, "ann"), (byApprover, "bob") })
        {
            var info = await client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(500), Timeout = Deadline }, cancellationToken: ct);
            Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
            Assert.Equal(approver, info.Output!.Value.GetProperty("approvedBy").GetString());
            Assert.True(info.Output!.Value.GetProperty("reminderSent").GetBoolean());
        }

        await app.ResourceNotifications.WaitForResourceAsync(resource, "Completed", ct).WaitAsync(Deadline, ct);

        async Task<string> StartOrderAsync()
        {
            var result = await app.ResourceCommands.ExecuteCommandAsync("order-workflow", RuntaraImageExtensions.StartCommand, ct);
            Assert.True(result.Success, result.Message);
            return result.Message!.Split(' ')[^1];
        }

#pragma warning disable ASPIREINTERACTION001 // InteractionInput: the arguments of "Send signal".
        Task<ExecuteCommandResult> SignalAsync(string name, string payload) => app.ResourceCommands.ExecuteCommandAsync(resource, RuntaraImageExtensions.SignalCommand, new InteractionInputCollection(
            [new InteractionInput { Name = "name", InputType = InputType.Text, Value = name }, new InteractionInput { Name = "payload", InputType = InputType.Text, Value = payload }]), ct);
#pragma warning restore ASPIREINTERACTION001
    }

    /// <summary>Runs <c>Runtara.Samples.OrderWorkflow approve &lt;id&gt; &lt;who&gt;</c> (its build output) with the connection string in its environment.</summary>
    private static async Task<(int ExitCode, string Output)> RunApproverAsync(string instanceId, string approver, string connectionString, CancellationToken ct)
    {
        var program = Path.Combine(Repository.Root, "samples", "Runtara.Samples.OrderWorkflow", "bin", Configuration, "net10.0", "Runtara.Samples.OrderWorkflow.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { program, "approve", instanceId, approver })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ConnectionStrings__environment"] = connectionString;
        foreach (var name in new[] { "RUNTARA_ENVIRONMENT_ADDR", "RUNTARA_TLS_PINNED_CERT", "RUNTARA_API_KEY", "RUNTARA_TENANT_ID" })
        {
            start.Environment.Remove(name);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(1), ct);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}

/// <summary>Whole-app tests run one at a time: each starts a full platform on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppHostCollection
{
    public const string Name = "AppHost";
}

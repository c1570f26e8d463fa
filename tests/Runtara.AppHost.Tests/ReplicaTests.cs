using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.AppHost.Tests;

/// <summary>
/// The AppHost with <c>Runtara:AppHost:CoreReplicas=2</c> and <c>EnvironmentReplicas=2</c> on a throwaway PostgreSQL
/// cluster (docs/deployment.md): the dashboard's resources include <c>core-2</c> and <c>environment-2</c>, all four
/// become healthy, and an image registered through the first environment runs to completion when started through
/// the second (one database, cores listed to the environments).
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ReplicaTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task The_apphost_runs_two_cores_and_two_environments_on_one_database()
    {
        Skip.If(PostgresCluster.SkipReason is not null, PostgresCluster.SkipReason);
        using var data = new Runtara.Testing.TempDirectory("runtara-apphost-replicas");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var ct = timeout.Token;
        await using var postgres = await PostgresCluster.StartAsync(ct);
        await postgres.CreateDatabaseAsync("runtara", ct);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Runtara_AppHost>(
            [
                "--Runtara:AppHost:FixedPorts=false", $"--Runtara:AppHost:DataDirectory={data.Path}",
                $"--ConnectionStrings:runtara-postgres={postgres.ConnectionString("runtara")}",
                "--Runtara:AppHost:CoreReplicas=2", "--Runtara:AppHost:EnvironmentReplicas=2",
            ],
            ct);
        await using (var app = await appHost.BuildAsync(ct))
        {
            await app.StartAsync(ct);
            foreach (var resource in new[] { "core", "core-2", "environment", "environment-2" })
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, ct).WaitAsync(Deadline, ct);
            }

            // The first environment registers the samples; the start-up batch job completes on either environment.
            await app.ResourceNotifications.WaitForResourceAsync("batch-job", "Completed", ct).WaitAsync(Deadline, ct);

            using var second = ManagementClientHost.For(await app.GetConnectionStringAsync("environment-2", ct));
            var client = second.Services.GetRequiredService<RuntaraManagementClient>();
            var batchImage = (await client.ListImagesAsync(cancellationToken: ct)).Images.Single(i => i.Name == "batch-job");
            var id = await client.StartInstanceAsync(new StartInstanceOptions { ImageId = batchImage.ImageId, Input = """{"items":3,"workMs":1,"period":"2026-12"}""" }, ct);
            var info = await client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(200), Timeout = Deadline }, cancellationToken: ct);
            Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
            Assert.Equal(3, info.Output!.Value.GetProperty("processedInThisRun").GetInt32());

            // The quote fires at second 0 of every minute (AppHost.cs): an instance started as the cores stop
            // waits for them (CoreUnavailableTolerance, 5 min) and outlives the test, so stop between two fires,
            // once this minute's has had ten seconds to complete.
            var atSecond = DateTime.UtcNow.Second;
            if (atSecond is < 10 or > 40)
            {
                await Task.Delay(TimeSpan.FromSeconds((70 - atSecond) % 60), ct);
            }

            await app.StopAsync(ct);
        }

        var left = await LeftoverProcesses.WaitUntilGoneAsync(data.Path, TimeSpan.FromSeconds(60));
        Assert.True(left.Count == 0, "processes left behind:\n" + string.Join('\n', left));
    }
}

using System.Text;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Security;

/// <summary>
/// API keys scoped to tenants (docs/security.md) against a real environment and core: a key of one
/// tenant never reaches another tenant's images, instances, checkpoints or logs; calls without a
/// valid key are refused; and no secret (API key, token key, instance token) shows up in any log
/// line or span of either server or in status output.
/// </summary>
public sealed class TenantIsolationTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private const string TenantA = "tenant-a";
    private const string TenantB = "tenant-b";
    private const string KeyA = "key-of-tenant-a-0123456789";
    private const string KeyB = "key-of-tenant-b-0123456789";
    private const string AdminKey = "admin-key-all-tenants-0123456789";
    private readonly CapturedLogs _logs = new();
    private EnvironmentHarness _env = null!;

    public async Task InitializeAsync() => _env = await EnvironmentHarness.StartAsync(
        new Dictionary<string, string?>
        {
            ["Runtara:Environment:ApiKeys:tenant-a:Key"] = KeyA,
            ["Runtara:Environment:ApiKeys:tenant-a:Tenants:0"] = TenantA,
            ["Runtara:Environment:ApiKeys:tenant-b:Key"] = KeyB,
            ["Runtara:Environment:ApiKeys:tenant-b:Tenants:0"] = TenantB,
            [EnvironmentHarness.AdminApiKeySetting] = AdminKey,
            ["Runtara:Environment:ApiKeys:admin:Tenants:0"] = "*",
        },
        logs: _logs);

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Calls_without_a_valid_api_key_are_unauthenticated()
    {
        await using var none = _env.NewClient(apiKey: string.Empty);
        Assert.Equal(RpcErrorCodes.Unauthenticated, (await Assert.ThrowsAnyAsync<ManagementException>(() => none.HealthAsync())).Code);
        await using var wrong = _env.NewClient(apiKey: "not-a-configured-key-at-all");
        Assert.Equal(RpcErrorCodes.Unauthenticated, (await Assert.ThrowsAnyAsync<ManagementException>(() => wrong.ListImagesAsync(TenantA))).Code);
        // The generated key is not accepted once keys are configured.
        Assert.False(File.Exists(TestCredentials.ApiKeyFile(_env.EnvironmentDataDirectory)));
    }

    [Fact]
    public async Task A_tenant_key_cannot_reach_another_tenants_images_instances_checkpoints_or_logs()
    {
        await using var a = _env.NewClient(apiKey: KeyA);
        await using var b = _env.NewClient(apiKey: KeyB);
        var imageA = await a.RegisterImageFromFileAsync(TestImages.TestInstanceZip, new RegisterImageOptions { TenantId = TenantA, Name = "a-image", Entrypoint = TestImages.TestInstanceEntrypoint });
        var imageB = await b.RegisterImageFromFileAsync(TestImages.TestInstanceZip, new RegisterImageOptions { TenantId = TenantB, Name = "b-image", Entrypoint = TestImages.TestInstanceEntrypoint });
        var instanceB = await b.StartInstanceAsync(new StartInstanceOptions { ImageId = imageB, TenantId = TenantB });
        var done = await b.WaitForCompletionAsync(instanceB, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = Deadline }, TenantB);
        Assert.True(done.Status == InstanceStatus.Completed, $"{done.Status}: {done.Error}\n{done.Stderr}");

        async Task Denied(Func<Task> call) =>
            Assert.Equal(RpcErrorCodes.PermissionDenied, (await Assert.ThrowsAnyAsync<ManagementException>(call)).Code);

        // Naming the other tenant is refused outright.
        await Denied(() => a.ListImagesAsync(TenantB));
        await Denied(() => a.GetImageAsync(imageB, TenantB));
        await Denied(() => a.DeleteImageAsync(imageB, TenantB));
        await Denied(() => a.StartInstanceAsync(new StartInstanceOptions { ImageId = imageB, TenantId = TenantB }));
        await Denied(() => a.GetInstanceAsync(instanceB, TenantB));
        await Denied(() => a.ListInstancesAsync(new ListInstancesOptions { TenantId = TenantB }));
        await Denied(() => a.ListCheckpointsAsync(instanceB, tenantId: TenantB));
        await Denied(() => a.GetCheckpointAsync(instanceB, "step-1", TenantB));
        await Denied(() => a.ListEventsAsync(instanceB, tenantId: TenantB));
        await Denied(() => a.ListRetryAttemptsAsync(instanceB, tenantId: TenantB));
        await Denied(() => a.SendSignalAsync(instanceB, SignalKind.Cancel, tenantId: TenantB));
        await Denied(() => a.GetLogsAsync(instanceB, Stream.Null, tenantId: TenantB));
        // Naming no tenant is refused for a scoped key (it could otherwise list everything).
        await using (var unscoped = new RuntaraManagementClient(new ManagementClientOptions
        {
            Address = $"127.0.0.1:{_env.Port}",
            Transport = Protocol.Transport.TransportKind.Tcp,
            PinnedCertificatePath = Path.Combine(_env.EnvironmentDataDirectory, "tls", "runtara-dev.crt"),
            ApiKey = KeyA,
        }))
        {
            await Denied(() => unscoped.ListImagesAsync());
            await Denied(() => unscoped.GetInstanceAsync(instanceB));
        }

        // Naming its own tenant does not reach the other tenant's things either.
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => a.StartInstanceAsync(new StartInstanceOptions { ImageId = imageB, TenantId = TenantA }));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => a.ListCheckpointsAsync(instanceB, tenantId: TenantA));
        await Assert.ThrowsAsync<Management.InstanceNotFoundException>(() => a.GetInstanceAsync(instanceB, TenantA));
        Assert.DoesNotContain((await a.ListImagesAsync(TenantA)).Images, i => i.ImageId == imageB);
        Assert.Contains((await a.ListImagesAsync(TenantA)).Images, i => i.ImageId == imageA);

        // The owner and the all-tenant key still see it.
        Assert.Equal(instanceB, (await b.GetInstanceAsync(instanceB, TenantB)).InstanceId);
        Assert.Equal(instanceB, (await _env.Client.GetInstanceAsync(instanceB, TenantB)).InstanceId);
    }

    [Fact]
    public async Task No_secret_appears_in_logs_traces_or_status_output()
    {
        // Every span of the Runtara sources in this process (servers and clients), with its tags.
        var spans = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Runtara", StringComparison.Ordinal),
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => spans.Enqueue($"{activity.DisplayName} {activity.StatusDescription} {string.Join(" ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}"))} {string.Join(" ", activity.Baggage.Select(b => $"{b.Key}={b.Value}"))}"),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        await using var a = _env.NewClient(apiKey: KeyA);
        var image = await a.RegisterImageFromFileAsync(TestImages.TestInstanceZip, new RegisterImageOptions { TenantId = TenantA, Name = "logged", Entrypoint = TestImages.TestInstanceEntrypoint });
        var id = await a.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = TenantA });
        var info = await a.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = Deadline }, TenantA);
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
        await using var wrong = _env.NewClient(apiKey: "a-wrong-key-that-is-long-enough");
        await Assert.ThrowsAnyAsync<ManagementException>(() => wrong.HealthAsync());
        await Assert.ThrowsAnyAsync<ManagementException>(() => a.ListImagesAsync(TenantB));

        var keyFileSecrets = File.ReadAllLines(TestCredentials.KeyFile(Path.Combine(_env.Root, "core")))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..])
            .ToArray();
        string[] secrets = [KeyA, KeyB, AdminKey, "a-wrong-key-that-is-long-enough", .. keyFileSecrets];
        var stdout = new MemoryStream();
        await a.GetLogsAsync(id, stdout, "stdout", tenantId: TenantA);
        var stderr = new MemoryStream();
        await a.GetLogsAsync(id, stderr, "stderr", tenantId: TenantA);
        var status = await a.GetInstanceAsync(id, TenantA);
        // Snapshots: background work (heartbeats, workers) keeps logging and stopping spans meanwhile.
        var spanLines = spans.ToArray();
        var logLines = _logs.Lines;
        Assert.Contains(spanLines, s => s.Contains("PERMISSION_DENIED", StringComparison.Ordinal));
        string[] outputs =
        [
            .. logLines,
            .. spanLines,
            System.Text.Json.JsonSerializer.Serialize(status),
            Encoding.UTF8.GetString(stdout.ToArray()),
            Encoding.UTF8.GetString(stderr.ToArray()),
        ];

        Assert.True(logLines.Count > 20, $"only {logLines.Count} log lines were captured");
        Assert.Contains(logLines, l => l.Contains("PERMISSION_DENIED", StringComparison.Ordinal));
        foreach (var output in outputs)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            }

            // No instance or service token, whatever its content.
            Assert.DoesNotContain("rt1.", output, StringComparison.Ordinal);
        }
    }
}

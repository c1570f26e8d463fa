using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Environment.Workers;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Transport;

namespace Runtara.Environment.Tests.Workers;

/// <summary>Start-up validation, QUIC availability and the cleanup worker.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class HostingTests(EnvironmentFixture fixture)
{
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Theory]
    [InlineData("Runtara:Environment:BindAddress", "not-an-ip", "Runtara:Environment:BindAddress")]
    [InlineData("Runtara:Environment:Port", "70000", "Runtara:Environment:Port")]
    [InlineData("Runtara:Environment:CoreAddress", "no-port-here", "Runtara:Environment:CoreAddress")]
    [InlineData("Runtara:Environment:HeartbeatTimeout", "-00:00:01", "Runtara:Environment:HeartbeatTimeout")]
    [InlineData("Runtara:Environment:ApiKeys:ci:Key", "too-short", "Runtara:Environment:ApiKeys:ci:Key")]
    [InlineData("Runtara:Environment:RequestReadTimeout", "-00:00:01", "Runtara:Environment:RequestReadTimeout")]
    [InlineData("Runtara:Environment:MaxRequestsPerSecondPerConnection", "-1", "Runtara:Environment:MaxRequestsPerSecondPerConnection")]
    [InlineData("Runtara:Environment:RunLeaseRenewInterval", "00:00:30", "Runtara:Environment:RunLeaseRenewInterval")]
    [InlineData("Runtara:Environment:EnvironmentId", "tab\there", "Runtara:Environment:EnvironmentId")]
    [InlineData("Runtara:Environment:EnvironmentId", "   ", "Runtara:Environment:EnvironmentId")]
    [InlineData("Runtara:Environment:EnvironmentId", "a-very-long-environment-id-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "EnvironmentId")]
    public async Task A_bad_setting_stops_start_up_with_a_message_naming_the_key(string key, string value, string named)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => EnvironmentHarness.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_environment_id_is_stable_per_data_directory_and_names_the_machine()
    {
        var first = new EnvironmentOptions { DataDirectory = "/srv/runtara/a" }.ResolveEnvironmentId();

        Assert.Equal(first, new EnvironmentOptions { DataDirectory = "/srv/runtara/a" }.ResolveEnvironmentId());
        Assert.NotEqual(first, new EnvironmentOptions { DataDirectory = "/srv/runtara/b" }.ResolveEnvironmentId());
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(System.Environment.MachineName)}-[0-9a-f]{{8}}$", first);
        Assert.Equal("env-1", new EnvironmentOptions { EnvironmentId = "env-1" }.ResolveEnvironmentId());
    }

    [SkippableFact]
    public async Task Quic_is_served_on_the_same_port_where_msquic_exists()
    {
        Skip.IfNot(TransportSupport.IsQuicSupported, "QUIC skipped: System.Net.Quic is not supported on this machine (libmsquic not found on the loader path).");
        await using var env = await EnvironmentHarness.StartAsync(new Dictionary<string, string?> { ["Runtara:Environment:Transport"] = "Quic" });
        await using var client = new RuntaraManagementClient(new ManagementClientOptions
        {
            Address = $"127.0.0.1:{env.Port}",
            Transport = TransportKind.Quic,
            ApiKey = env.AdminApiKey,
            PinnedCertificatePath = Path.Combine(env.EnvironmentDataDirectory, "tls", "runtara-dev.crt"),
        });

        Assert.True((await client.HealthAsync()).Healthy);
    }

    [SkippableFact]
    public async Task Asking_for_quic_where_it_is_missing_fails_start_up_with_the_reason()
    {
        Skip.If(TransportSupport.IsQuicSupported, "QUIC is supported here; the missing-msquic path cannot be exercised.");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => EnvironmentHarness.StartAsync(new Dictionary<string, string?> { ["Runtara:Environment:Transport"] = "Quic" }));

        // Refused with the other options, naming the setting (issue 19), not by an exception from the listener.
        Assert.Contains("Runtara:Environment:Transport is Quic", error.Message, StringComparison.Ordinal);
        Assert.Contains("msquic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_removes_old_run_directories_of_finished_instances_only()
    {
        var (finished, tenant, image) = await _env.StartTestInstanceAsync();
        await _env.Client.WaitForCompletionAsync(finished, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromSeconds(30) });
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(finished), i => i.Pid is null && i.ExitCode is not null, TimeSpan.FromSeconds(30), "exit recorded");
        var active = await _env.StartTestInstanceAsync(image, tenant, "wait_signal");
        await Wait.UntilAsync(() => _env.Client.GetInstanceAsync(active), i => i.Status == InstanceStatus.Running, TimeSpan.FromSeconds(30), "running");
        var finishedDirectory = Path.Combine(_env.EnvironmentDataDirectory, "runs", tenant, finished);
        var activeDirectory = Path.Combine(_env.EnvironmentDataDirectory, "runs", tenant, active);
        Directory.SetLastWriteTimeUtc(finishedDirectory, DateTime.UtcNow.AddDays(-2));
        Directory.SetLastWriteTimeUtc(activeDirectory, DateTime.UtcNow.AddDays(-2));

        var cleanup = _env.Services.GetServices<IHostedService>().OfType<CleanupWorker>().Single();
        await cleanup.RunOnceAsync(CancellationToken.None);

        Assert.False(Directory.Exists(finishedDirectory));
        Assert.True(Directory.Exists(activeDirectory));
        Assert.Equal(InstanceStatus.Completed, (await _env.Client.GetInstanceAsync(finished)).Status);
        await _env.Client.StopInstanceAsync(active);
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Hosting;

public sealed class HostingExtensionsTests
{
    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    [Fact]
    public void Settings_come_from_configuration_then_launch_variables_then_connection_string_then_the_delegate()
    {
        var builder = Builder(new()
        {
            ["Runtara:Instance:InstanceId"] = "from-section",
            ["Runtara:Instance:TenantId"] = "tenant-section",
            ["Runtara:Instance:ServerAddress"] = "10.1.1.1:1",
            ["Runtara:Instance:HeartbeatInterval"] = "00:00:05",
            ["Runtara:Instance:SignalPollInterval"] = "00:00:00.250",
            [InstanceEnvironment.InstanceId] = "from-launch",
            [InstanceEnvironment.InstanceToken] = "token-from-launch",
            ["ConnectionStrings:core"] = "tcp://core.local:8001",
        });

        builder.AddRuntaraInstance("core", o => o.TenantId = "from-delegate");
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptions<RuntaraInstanceOptions>>().Value;

        Assert.Equal("from-launch", options.InstanceId);
        Assert.Equal("from-delegate", options.TenantId);
        Assert.Equal("token-from-launch", options.Token);
        Assert.Equal("tcp://core.local:8001", options.ServerAddress);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.SignalPollInterval);
    }

    [Fact]
    public async Task Invalid_settings_stop_the_host_at_start_with_the_setting_named()
    {
        var builder = Builder(new() { ["Runtara:Instance:InstanceId"] = "i" });
        builder.AddRuntaraInstance(configureSettings: o => o.TenantId = null);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(InstanceEnvironment.TenantId, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Runtara:Instance:RequestTimeout", "thirty seconds")]
    [InlineData("Runtara:Instance:Transport", "carrier-pigeon")]
    [InlineData("Runtara:Instance:DisableTracing", "maybe")]
    public void A_malformed_value_in_configuration_names_its_key(string key, string value)
    {
        var builder = Builder(new() { ["Runtara:Instance:InstanceId"] = "i", [key] = value });

        var error = Assert.Throws<RuntaraConfigurationException>(() => builder.AddRuntaraInstance());
        Assert.Equal(key, error.Key);
    }

    [Fact(Timeout = TestTimeouts.Short)]
    public async Task A_host_runs_its_workflow_against_the_registered_connection_and_writes_output_json()
    {
        using var directory = new TempDirectory();
        var output = Path.Combine(directory.Path, "output.json");
        var input = Path.Combine(directory.Path, "input.json");
        await File.WriteAllTextAsync(input, """{"id":"o-9","amount":3}""");
        var builder = Builder(new()
        {
            ["Runtara:Instance:InstanceId"] = Ids.Instance("host"),
            ["Runtara:Instance:TenantId"] = "t",
            ["Runtara:Instance:EmbeddedDatabasePath"] = Path.Combine(directory.Path, "runtara.db"),
            ["Runtara:Instance:InputPath"] = input,
            ["Runtara:Instance:OutputPath"] = output,
            ["Runtara:Instance:HeartbeatInterval"] = "00:00:00",
        });
        builder.AddRuntaraInstance(configureSettings: options => options.UseEmbeddedEngine());
        using var host = builder.Build();

        var exitCode = await host.RunRuntaraWorkflowAsync<Scenarios.Order, string>(
            (ctx, order, ct) => ctx.StepAsync("echo", _ => Task.FromResult(order.Id), Scenarios.ScenarioJson.Default.String, cancellationToken: ct),
            Scenarios.ScenarioJson.Default.Order,
            Scenarios.ScenarioJson.Default.String);

        Assert.Equal(0, exitCode);
        Assert.Equal("""{"status":"completed","result":"o-9"}""", await File.ReadAllTextAsync(output));
    }
}

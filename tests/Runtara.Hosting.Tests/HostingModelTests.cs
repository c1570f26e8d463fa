using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Management;
using Runtara.Protocol.Security;
using static Runtara.Hosting.Tests.ModelHelpers;

namespace Runtara.Hosting.Tests;

/// <summary>What AddRuntaraCore / AddRuntaraEnvironment / AddImage put in the application model.</summary>
public sealed class HostingModelTests
{
    [Fact]
    public void The_core_declares_non_proxied_tcp_protocol_endpoints_on_8001_and_8003_and_an_http_health_check()
    {
        var builder = DistributedApplication.CreateBuilder();

        var core = builder.AddRuntaraCore("core").Resource;

        var instance = Endpoint(core, "instance");
        var management = Endpoint(core, "management");
        Assert.Equal((8001, "tcp", false, ProtocolType.Tcp), (instance.Port!.Value, instance.UriScheme, instance.IsProxied, instance.Protocol));
        Assert.Equal((8003, "tcp", false), (management.Port!.Value, management.UriScheme, management.IsProxied));
        // One spelling of the protocol host everywhere it is handed out: the address the services bind.
        Assert.Equal(("127.0.0.1", "127.0.0.1"), (instance.TargetHost, management.TargetHost));
        Assert.Equal("127.0.0.1", Assert.Single(core.Annotations.OfType<EndpointAnnotation>(), e => e.UriScheme == "http").TargetHost);
        Assert.Single(core.Annotations.OfType<HealthCheckAnnotation>());
        Assert.EndsWith(Path.Combine("Runtara.Core", "Runtara.Core.csproj"), core.GetProjectMetadata().ProjectPath, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(builder.AppHostDirectory, ".runtara", "core"), core.DataDirectory);
    }

    [Fact]
    public void Null_ports_leave_the_choice_to_aspire()
    {
        var builder = DistributedApplication.CreateBuilder();

        var core = builder.AddRuntaraCore("core", instancePort: null, managementPort: null).Resource;
        var environment = builder.AddRuntaraEnvironment("environment", port: null).Resource;

        Assert.Null(Endpoint(core, "instance").Port);
        Assert.Null(Endpoint(environment, "environment").Port);
        Assert.False(Endpoint(environment, "environment").IsProxied);
        Assert.Equal("127.0.0.1", Endpoint(environment, "environment").TargetHost);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_environment_gets_the_cores_addresses_certificate_and_data_directory_and_waits_for_it()
    {
        var builder = DistributedApplication.CreateBuilder();
        var core = builder.AddRuntaraCore("runtara-core").WithDataDirectory("/srv/runtara/core");
        var environment = builder.AddRuntaraEnvironment("environment").WithDataDirectory("/srv/runtara/env").WithReference(core);
        AllocateAll(core.Resource, environment.Resource);

        var variables = await VariablesAsync(environment.Resource);

        Assert.Equal("tcp://127.0.0.1:8003", variables["Runtara__Environment__CoreAddress"]);
        Assert.Equal("tcp://127.0.0.1:8001", variables["Runtara__Environment__CoreInstanceAddress"]);
        Assert.Equal("/srv/runtara/core/instance.sock", variables["Runtara__Environment__CoreInstanceSocket"]);
        Assert.Equal("/srv/runtara/core/tls/runtara-dev.crt", variables["Runtara__Environment__CoreTls__PinnedCertificatePath"]);
        Assert.Equal("/srv/runtara/env", variables["Runtara__Environment__DataDirectory"]);
        Assert.Equal("tcp://127.0.0.1:8003", variables["services__runtara-core__management__0"]);
        Assert.Contains(environment.Resource.Annotations.OfType<WaitAnnotation>(), w => w.Resource == core.Resource);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_environments_connection_string_carries_the_address_the_certificate_to_pin_and_the_api_key_it_accepts()
    {
        var builder = DistributedApplication.CreateBuilder();
        var environment = builder.AddRuntaraEnvironment("environment").WithDataDirectory("/srv/runtara/env");
        AllocateAll(environment.Resource);

        var connectionString = await ((IResourceWithConnectionString)environment.Resource).GetConnectionStringAsync();
        var variables = await VariablesAsync(environment.Resource);

        var apiKey = variables["Runtara__Environment__ApiKeys__aspire__Key"];
        Assert.True(apiKey.Length >= 32, "the generated API key is at least 32 characters");
        Assert.Equal("*", variables["Runtara__Environment__ApiKeys__aspire__Tenants__0"]);
        // No fingerprint yet: the certificate is created when the application starts (next test).
        Assert.Equal($"Endpoint=tcp://127.0.0.1:8002;PinnedCertificatePath=/srv/runtara/env/tls/runtara-dev.crt;PinnedCertificateSha256=;ApiKey={apiKey}", connectionString);
        Assert.True(environment.Resource.ApiKey.Secret);
    }

    [Fact(Timeout = 30_000)]
    public async Task At_start_the_apphost_creates_the_environments_certificate_and_its_connection_string_pins_it_by_fingerprint()
    {
        var data = Directory.CreateTempSubdirectory("runtara-hosting-").FullName;
        try
        {
            var builder = DistributedApplication.CreateBuilder();
            // Aspire's own BeforeStartEvent handlers want DCP's paths; nothing is started.
            builder.Configuration["DcpPublisher:CliPath"] = "dcp";
            builder.Configuration["DcpPublisher:DashboardPath"] = "dashboard";
            var environment = builder.AddRuntaraEnvironment("environment").WithDataDirectory(data);
            using var app = builder.Build();
            AllocateAll(environment.Resource);

            await builder.Eventing.PublishAsync(new BeforeStartEvent(app.Services, app.Services.GetRequiredService<DistributedApplicationModel>()));
            var connectionString = await ((IResourceWithConnectionString)environment.Resource).GetConnectionStringAsync();

            using var certificate = DevelopmentCertificate.GetOrCreate(Path.Combine(data, "tls"));
            var options = new ManagementClientOptions();
            ManagementConnectionString.Apply(connectionString!, options);
            Assert.Equal(certificate.GetCertHashString(HashAlgorithmName.SHA256), options.PinnedCertificateSha256);
            Assert.Equal(environment.Resource.CertificatePath, options.PinnedCertificatePath);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Core_and_environment_share_one_secret_token_key_of_at_least_32_bytes()
    {
        var builder = DistributedApplication.CreateBuilder();
        var core = builder.AddRuntaraCore("core");
        var environment = builder.AddRuntaraEnvironment("environment").WithReference(core);
        AllocateAll(core.Resource, environment.Resource);

        var coreKey = (await VariablesAsync(core.Resource))["Runtara__Core__Security__Keys__aspire"];
        var environmentKey = (await VariablesAsync(environment.Resource))["Runtara__Environment__Security__Keys__aspire"];

        Assert.Equal(coreKey, environmentKey);
        Assert.True(Convert.FromBase64String(coreKey).Length >= 32, "the token key decodes to at least 32 bytes");
        Assert.True(core.Resource.TokenKey.Secret);
    }

    [Fact(Timeout = 30_000)]
    public async Task Postgres_and_transport_reach_both_services_through_their_configuration_keys()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ConnectionStrings:runtara-postgres"] = "Host=db;Database=runtara";
        var postgres = builder.AddConnectionString("runtara-postgres");
        var core = builder.AddRuntaraCore("core").WithPostgres(postgres).WithTransport(Runtara.Protocol.Transport.TransportKind.Tcp);
        var environment = builder.AddRuntaraEnvironment("environment").WithPostgres(postgres);
        AllocateAll(core.Resource, environment.Resource);

        var coreVariables = await VariablesAsync(core.Resource);
        var environmentVariables = await VariablesAsync(environment.Resource);

        Assert.Equal("Host=db;Database=runtara", coreVariables["Runtara__Core__PostgresConnectionString"]);
        Assert.Equal("Tcp", coreVariables["Runtara__Core__Transport"]);
        Assert.Equal("Host=db;Database=runtara", environmentVariables["Runtara__Environment__PostgresConnectionString"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Any_resource_referencing_the_platform_gets_connection_strings_discovery_and_the_cores_certificate()
    {
        var builder = DistributedApplication.CreateBuilder();
        var core = builder.AddRuntaraCore("core").WithDataDirectory("/srv/runtara/core");
        var environment = builder.AddRuntaraEnvironment("environment").WithDataDirectory("/srv/runtara/env");
        var worker = builder.AddExecutable("worker", "true", ".").WithReference(environment).WithReference(core, "runtara-core");
        AllocateAll(core.Resource, environment.Resource);

        var variables = await VariablesAsync(worker.Resource);

        Assert.StartsWith("Endpoint=tcp://127.0.0.1:8002;PinnedCertificatePath=/srv/runtara/env/tls/runtara-dev.crt;PinnedCertificateSha256=;ApiKey=", variables["ConnectionStrings__environment"], StringComparison.Ordinal);
        Assert.Equal("tcp://127.0.0.1:8002", variables["services__environment__environment__0"]);
        Assert.Equal("tcp://127.0.0.1:8001", variables["ConnectionStrings__runtara-core"]);
        Assert.Equal("/srv/runtara/core/tls/runtara-dev.crt", variables["RUNTARA_TLS_PINNED_CERT"]);
    }

    [Fact]
    public void An_image_sits_under_its_environment_with_start_pause_resume_cancel_and_signal_commands()
    {
        var builder = DistributedApplication.CreateBuilder();
        var environment = builder.AddRuntaraEnvironment("environment");

        var image = environment.AddImage("batch-job", "../samples/Runtara.Samples.BatchJob/Runtara.Samples.BatchJob.csproj")
            .WithInput("""{"items":3}""").WithStartOnRegistration().Resource;

        Assert.Same(environment.Resource, image.Parent);
        Assert.Equal("""{"items":3}""", image.Input);
        Assert.True(image.StartOnRegistration);
        Assert.True(Path.IsPathRooted(image.ProjectPath));
        Assert.Equal(
            [RuntaraImageExtensions.StartCommand, RuntaraImageExtensions.PauseCommand, RuntaraImageExtensions.ResumeCommand, RuntaraImageExtensions.CancelCommand, RuntaraImageExtensions.SignalCommand],
            image.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).Where(n => n.StartsWith("runtara-", StringComparison.Ordinal)));
    }

    [Fact]
    public void Image_input_that_is_not_json_is_refused_while_the_apphost_is_built()
    {
        var builder = DistributedApplication.CreateBuilder();
        var image = builder.AddRuntaraEnvironment("environment").AddImage("x", "x.csproj");

        Assert.ThrowsAny<System.Text.Json.JsonException>(() => image.WithInput("{items:"));
    }

    [Fact]
    public void Native_AOT_is_recorded_per_image_and_publishes_under_the_environments_data_directory()
    {
        var builder = DistributedApplication.CreateBuilder();
        var environment = builder.AddRuntaraEnvironment("environment");
        var jit = environment.AddImage("batch-job", "../samples/Runtara.Samples.BatchJob/Runtara.Samples.BatchJob.csproj").Resource;
        var aot = environment.AddImage("quote", "../samples/Runtara.Samples.NativeAot/Runtara.Samples.NativeAot.csproj").WithNativeAot().WithNativeAot().Resource;
        environment.WithDataDirectory("/srv/runtara/env");

        Assert.False(jit.NativeAot);
        Assert.Null(jit.PublishDirectory);
        Assert.True(aot.NativeAot);
        // Decided when the registration runs, so a data directory set after WithNativeAot() counts.
        Assert.Equal("/srv/runtara/env/native-aot/quote", aot.PublishDirectory);
        var arguments = Aspire.Hosting.Images.NativeAotPublish.Arguments(aot.ProjectPath, aot.PublishDirectory!).ToList();
        Assert.Equal(["publish", aot.ProjectPath], arguments[..2]);
        Assert.Equal("Release", arguments[arguments.IndexOf("-c") + 1]);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, arguments[arguments.IndexOf("-r") + 1]);
        Assert.Equal(aot.PublishDirectory, arguments[arguments.IndexOf("-o") + 1]);
        Assert.Contains("-p:PublishAot=true", arguments);
    }
}

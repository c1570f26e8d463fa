using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Runtara.Core.Hosting;
using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;
using Inst = Runtara.Protocol.Instance;

namespace Runtara.Core.Tests.Hosting;

/// <summary>Start-up, configuration, endpoints and health of the core host.</summary>
public sealed class CoreHostingTests : IDisposable
{
    private const int Timeout = 60_000;
    private readonly TempDirectory _directory = new("runtara-hosting");

    [Fact(Timeout = Timeout)]
    public async Task A_started_core_publishes_its_real_ports_and_certificate_and_clients_pinning_it_connect()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path);
        var endpoints = CoreEndpoints.TryRead(_directory.Path);
        Assert.NotNull(endpoints);
        Assert.Equal(core.Endpoints, endpoints with { Transports = core.Endpoints.Transports });
        Assert.NotEqual(0, endpoints.InstancePort);
        Assert.NotEqual(0, endpoints.ManagementPort);
        Assert.Equal("sqlite", endpoints.Storage);
        Assert.Equal(Path.Combine(_directory.Path, "tls", DevelopmentCertificate.CertificateFileName), endpoints.CertificatePath);
        Assert.True(File.Exists(Path.Combine(_directory.Path, "core.db")));
        Assert.True((await core.Management.HealthAsync()).Healthy);
    }

    [Fact(Timeout = Timeout)]
    public async Task The_instance_protocol_is_served_on_a_unix_socket_in_the_data_directory_with_the_same_credential_checks()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path);
        var socket = Path.Combine(_directory.Path, "instance.sock");
        Assert.Equal(socket, core.Endpoints.InstanceSocket);
        Assert.Contains("unix", core.Endpoints.Transports);

        // No TLS options at all: the socket needs none. A call without a credential is refused like on TCP.
        await using var anonymous = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions { Address = RpcAddress.UnixScheme + socket });
        var refused = await Assert.ThrowsAsync<RpcException>(() => anonymous.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = "x" } }));
        await using var authorized = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(new RpcClientOptions { Address = RpcAddress.UnixScheme + socket, CredentialProvider = () => core.ServiceToken });
        var answer = await authorized.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = "unknown-instance" } });

        Assert.Equal(RpcErrorCodes.Unauthenticated, refused.Code);
        Assert.Equal(TransportKind.Unix, authorized.Transport);
        Assert.NotNull(answer);
        await core.DisposeAsync();
        Assert.False(File.Exists(socket), "a stopped core removes its socket");
    }

    [Fact(Timeout = Timeout)]
    public async Task A_client_that_does_not_trust_the_certificate_is_refused()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path);
        using var other = new TempDirectory("runtara-other-cert");
        DevelopmentCertificate.GetOrCreate(other.Path).Dispose();
        var options = CoreHost.ClientOptions(core.Endpoints.InstancePort, DevelopmentCertificate.CertificatePath(other.Path), 1, core.ServiceToken);
        await using var client = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(options);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = "x" } }));
        Assert.Equal(RpcErrorCodes.TlsFailure, error.Code);
    }

    [Fact(Timeout = Timeout)]
    public async Task Health_and_alive_endpoints_answer_healthy_with_the_storage_check()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path);
        using var http = new HttpClient { BaseAddress = core.HttpAddress };
        Assert.Equal("Healthy", await http.GetStringAsync(new Uri("/health", UriKind.Relative)));
        Assert.Equal("Healthy", await http.GetStringAsync(new Uri("/alive", UriKind.Relative)));
    }

    [Theory(Timeout = Timeout)]
    [InlineData("Runtara:Core:InstancePort", "70000", "Runtara:Core:InstancePort")]
    [InlineData("Runtara:Core:MaxCheckpointSize", "0", "Runtara:Core:MaxCheckpointSize")]
    [InlineData("Runtara:Core:BindAddress", "not-an-address", "Runtara:Core:BindAddress")]
    [InlineData("Runtara:Core:InProcessSleepThreshold", "-00:00:01", "Runtara:Core:InProcessSleepThreshold")]
    [InlineData("Runtara:Core:ManagementRequireClientCertificate", "true", "Runtara:Core:ManagementClientCaCertificatePath")]
    [InlineData("Runtara:Core:MaxRequestsPerSecondPerConnection", "-1", "Runtara:Core:MaxRequestsPerSecondPerConnection")]
    [InlineData("Runtara:Core:InstanceTokenLifetime", "00:00:00", "Runtara:Core:InstanceTokenLifetime")]
    [InlineData("Runtara:Core:Retention:Period", "-1.00:00:00", "Runtara:Core:Retention:Period")]
    [InlineData("Runtara:Core:Retention:Interval", "00:00:00", "Runtara:Core:Retention:Interval")]
    public async Task An_invalid_setting_stops_start_up_with_a_message_naming_the_key(string key, string value, string named)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("Runtara:Core:Security:Keys:a", "not base64!", "Runtara:Core:Security:Keys:a")]
    [InlineData("Runtara:Core:Security:Keys:a", "c2hvcnQ=", "Runtara:Core:Security:Keys")]
    public async Task A_bad_token_key_stops_start_up_with_a_message_naming_the_key(string key, string value, string named)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task The_same_fixed_port_for_both_protocols_is_refused()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
        {
            ["Runtara:Core:InstancePort"] = "18001",
            ["Runtara:Core:ManagementPort"] = "18001",
        }));
        Assert.Contains("ManagementPort", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_data_directory_is_data_under_the_working_directory()
    {
        var options = new CoreOptions();
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "data"), options.ResolveDataDirectory());
        Assert.Equal(8001, options.InstancePort);
        Assert.Equal(8003, options.ManagementPort);
    }

    [Fact(Timeout = Timeout)]
    public async Task Garbage_on_a_protocol_port_does_not_take_the_core_down()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path);
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync("127.0.0.1", core.Endpoints.InstancePort);
            await using var tls = new SslStream(socket.GetStream(), false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = [TlsDefaults.ApplicationProtocol],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            await tls.WriteAsync(new byte[] { 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 1, 2, 3 });
            await tls.FlushAsync();
        }

        var (id, tenant) = (Ids.Instance(), Ids.Tenant());
        Assert.True((await core.Instance.RegisterAsync(id, tenant)).Success);
        Assert.True((await core.Management.HealthAsync()).Healthy);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task The_core_serves_QUIC_on_the_same_port_where_msquic_is_available()
    {
        Skip.IfNot(TransportSupport.IsQuicSupported, $"QUIC test skipped: {TransportSupport.QuicUnavailableMessage}");
        await using var core = await CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?> { ["Runtara:Core:Transport"] = "Quic" });
        Assert.Contains("quic", core.Endpoints.Transports);
        var options = CoreHost.ClientOptions(core.Endpoints.InstancePort, core.Endpoints.CertificatePath!, 1, core.ServiceToken);
        options.Transport = TransportKind.Quic;
        await using var client = new InstanceApi(new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(options));
        Assert.True((await client.RegisterAsync(Ids.Instance(), Ids.Tenant())).Success);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Asking_for_QUIC_where_it_is_unavailable_fails_start_up_clearly()
    {
        Skip.If(TransportSupport.IsQuicSupported, "QUIC is available here, so start-up with Transport=Quic succeeds (covered by the QUIC test).");
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?> { ["Runtara:Core:Transport"] = "Quic" }));
        Assert.Contains("Runtara:Core:Transport is Quic", error.Message, StringComparison.Ordinal);
        Assert.Contains("msquic", error.Message, StringComparison.Ordinal);
        // Refused with the other options, before the store, the token keys or the certificate were made.
        Assert.False(File.Exists(Path.Combine(_directory.Path, "core.db")));
        Assert.False(Directory.Exists(Path.Combine(_directory.Path, "security")));
    }

    public void Dispose() => _directory.Dispose();
}

/// <summary>The Aspire connection-string fallback switches the core to PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresHostingTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDirectory _directory = new("runtara-hosting-pg");

    [PostgresFact(Timeout = 60_000)]
    public async Task The_runtara_postgres_connection_string_switches_storage_to_postgresql()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:runtara-postgres"] = fixture.ConnectionString,
        });
        Assert.Equal("postgresql", core.Endpoints.Storage);
        Assert.False(File.Exists(Path.Combine(_directory.Path, "core.db")));
        var id = Ids.Instance();
        await core.Instance.RegisterAsync(id, Ids.Tenant());
        Assert.Equal(Runtara.Protocol.Management.InstanceStatus.StatusRunning, (await fixture.Core.Management.StatusAsync(id)).Status);
    }

    public void Dispose() => _directory.Dispose();
}

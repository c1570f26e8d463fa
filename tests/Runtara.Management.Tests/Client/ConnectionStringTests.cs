using Runtara.Protocol.Transport;

namespace Runtara.Management.Tests.Client;

/// <summary>The environment's connection string as Runtara.Hosting writes it, and bare addresses.</summary>
public sealed class ConnectionStringTests
{
    [Fact]
    public void Key_value_pairs_set_the_address_the_certificate_to_pin_and_the_api_key()
    {
        var options = new ManagementClientOptions();

        ManagementConnectionString.Apply("Endpoint=tcp://localhost:18002;PinnedCertificatePath=/data/env/tls/runtara-dev.crt;transport=tcp;TenantId=acme;ApiKey=k3yk3yk3yk3yk3yk3y", options);

        Assert.Equal("tcp://localhost:18002", options.Address);
        Assert.Equal("/data/env/tls/runtara-dev.crt", options.PinnedCertificatePath);
        Assert.Equal(TransportKind.Tcp, options.Transport);
        Assert.Equal("acme", options.TenantId);
        Assert.Equal("k3yk3yk3yk3yk3yk3y", options.ApiKey);
        Assert.False(options.SkipCertificateVerification);
    }

    [Fact]
    public void The_certificate_fingerprint_is_read_and_an_empty_one_means_none()
    {
        var options = new ManagementClientOptions();
        var empty = new ManagementClientOptions();

        ManagementConnectionString.Apply("Endpoint=tcp://10.0.0.5:8002;pinnedcertificatesha256=AB:CD:EF;ApiKey=k", options);
        ManagementConnectionString.Apply("Endpoint=tcp://10.0.0.5:8002;PinnedCertificatePath=/data/tls/runtara-dev.crt;PinnedCertificateSha256=;ApiKey=k", empty);

        Assert.Equal("AB:CD:EF", options.PinnedCertificateSha256);
        Assert.Null(options.PinnedCertificatePath);
        Assert.Null(empty.PinnedCertificateSha256);
        Assert.Equal("/data/tls/runtara-dev.crt", empty.PinnedCertificatePath);
    }

    [Fact]
    public async Task A_connection_string_from_another_machine_pins_by_fingerprint_without_the_certificate_file()
    {
        var options = new ManagementClientOptions();
        ManagementConnectionString.Apply($"Endpoint=tcp://127.0.0.1:8002;PinnedCertificatePath=/nowhere/env/tls/runtara-dev.crt;PinnedCertificateSha256={new string('A', 64)};ApiKey=k", options);

        await using var client = new RuntaraManagementClient(options);

        Assert.Contains("127.0.0.1:8002", client.Address, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fingerprint_that_is_not_sha256_hex_is_a_configuration_error_naming_it()
    {
        var options = new ManagementClientOptions();
        ManagementConnectionString.Apply("Endpoint=tcp://127.0.0.1:8002;PinnedCertificateSha256=not-a-fingerprint", options);

        var error = Assert.Throws<ManagementConfigurationException>(() => new RuntaraManagementClient(options));

        Assert.Equal(nameof(ManagementClientOptions.PinnedCertificateSha256), error.Setting);
        Assert.Equal("CONFIGURATION_ERROR", error.Code);
    }

    [Fact]
    public void A_bare_address_is_the_address()
    {
        var options = new ManagementClientOptions();

        ManagementConnectionString.Apply(" 10.0.0.5:8002 ", options);

        Assert.Equal("10.0.0.5:8002", options.Address);
        Assert.Null(options.PinnedCertificatePath);
    }

    [Theory]
    [InlineData("Endpoint=tcp://localhost:8002;Password=x", "Password")]
    [InlineData("Endpoint=tcp://localhost:8002;Transport=carrier-pigeon", "Transport")]
    public void Unknown_keys_and_bad_values_are_configuration_errors_naming_the_key(string connectionString, string key)
    {
        var error = Assert.Throws<ManagementConfigurationException>(() => ManagementConnectionString.Apply(connectionString, new ManagementClientOptions()));

        Assert.Contains(key, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("CONFIGURATION_ERROR", error.Code);
    }
}

namespace Runtara.Management.Tests.Client;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_loopback_8002_with_verification_on_and_thirty_second_requests()
    {
        var options = ManagementClientOptions.FromEnvironment(_ => null);

        Assert.Equal("127.0.0.1:8002", options.Address);
        Assert.False(options.SkipCertificateVerification);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
    }

    [Fact]
    public void Environment_variables_are_read()
    {
        var values = new Dictionary<string, string>
        {
            ["RUNTARA_ENVIRONMENT_ADDR"] = "[::1]:9000",
            ["RUNTARA_SKIP_CERT_VERIFICATION"] = "TRUE",
            ["RUNTARA_CONNECT_TIMEOUT_MS"] = "1500",
            ["RUNTARA_REQUEST_TIMEOUT_MS"] = "2500",
            ["RUNTARA_TENANT_ID"] = "acme",
            ["RUNTARA_TRANSPORT"] = "tcp",
            ["RUNTARA_TLS_PINNED_CERT"] = "/x.crt",
        };

        var options = ManagementClientOptions.FromEnvironment(values.GetValueOrDefault);

        Assert.Equal("[::1]:9000", options.Address);
        Assert.True(options.SkipCertificateVerification);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), options.RequestTimeout);
        Assert.Equal("acme", options.TenantId);
        Assert.Equal(Protocol.Transport.TransportKind.Tcp, options.Transport);
        Assert.Equal("/x.crt", options.PinnedCertificatePath);
    }

    [Theory]
    [InlineData("RUNTARA_CONNECT_TIMEOUT_MS", "soon")]
    [InlineData("RUNTARA_REQUEST_TIMEOUT_MS", "-1")]
    [InlineData("RUNTARA_TRANSPORT", "carrier-pigeon")]
    public void Invalid_values_are_configuration_errors_naming_the_variable(string name, string value)
    {
        var error = Assert.Throws<ManagementConfigurationException>(() => ManagementClientOptions.FromEnvironment(n => n == name ? value : null));

        Assert.Equal(name, error.Setting);
    }

    [Fact]
    public void A_malformed_address_is_a_configuration_error()
    {
        Assert.Throws<ManagementConfigurationException>(() => new RuntaraManagementClient(new ManagementClientOptions { Address = "no-port" }));
    }
}

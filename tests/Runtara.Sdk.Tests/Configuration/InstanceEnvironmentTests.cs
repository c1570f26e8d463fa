using Runtara.Protocol.Transport;
using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Configuration;

/// <summary>SPEC §18.4 "SDK config from environment (required ids, defaults, IPv6 address)", with the launch contract's variables.</summary>
public sealed class InstanceEnvironmentTests
{
    private static RuntaraInstanceOptions Read(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return RuntaraInstanceOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Defaults_apply_when_only_the_required_ids_are_set()
    {
        var options = Read((InstanceEnvironment.InstanceId, "i-1"), (InstanceEnvironment.TenantId, "t-1"));

        options.Validate();
        Assert.Equal("i-1", options.InstanceId);
        Assert.Equal("t-1", options.TenantId);
        Assert.Equal("127.0.0.1:8001", options.ServerAddress);
        Assert.Equal(TransportKind.Auto, options.Transport);
        Assert.False(options.SkipCertificateVerification);
        Assert.Null(options.ServerName);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.SignalPollInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CoreUnavailableTolerance);
        Assert.Null(options.CheckpointId);
        Assert.Null(options.EmbeddedDatabasePath);
    }

    [Fact]
    public void A_launch_file_supplies_the_run_variables_and_wins_over_the_environment()
    {
        // A warm OCI container: the image-wide variables in the environment, the run's in the launch file.
        var file = Path.Combine(Path.GetTempPath(), $"launch-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{"RUNTARA_INSTANCE_ID":"i-warm","RUNTARA_TENANT_ID":"t-warm","RUNTARA_INSTANCE_TOKEN":"tok","RUNTARA_CHECKPOINT_ID":"cp-3"}""");
        try
        {
            var options = Read((InstanceEnvironment.LaunchFile, file), (InstanceEnvironment.InstanceId, "i-stale"), (InstanceEnvironment.ServerAddress, "unix:/run/runtara/core.sock"));

            options.Validate();
            Assert.Equal("i-warm", options.InstanceId);
            Assert.Equal("t-warm", options.TenantId);
            Assert.Equal("tok", options.Token);
            Assert.Equal("cp-3", options.CheckpointId);
            Assert.Equal("unix:/run/runtara/core.sock", options.ServerAddress);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_launch_file_that_is_missing_or_not_an_object_of_strings_names_its_variable()
    {
        var file = Path.Combine(Path.GetTempPath(), $"launch-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{"RUNTARA_INSTANCE_ID":7}""");
        try
        {
            Assert.Equal(InstanceEnvironment.LaunchFile, Assert.Throws<RuntaraConfigurationException>(() => Read((InstanceEnvironment.LaunchFile, file))).Key);
            Assert.Equal(InstanceEnvironment.LaunchFile, Assert.Throws<RuntaraConfigurationException>(() => Read((InstanceEnvironment.LaunchFile, file + ".missing"))).Key);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(InstanceEnvironment.InstanceId)]
    [InlineData(InstanceEnvironment.TenantId)]
    public void A_missing_required_id_names_its_variable(string missing)
    {
        var all = new Dictionary<string, string> { [InstanceEnvironment.InstanceId] = "i", [InstanceEnvironment.TenantId] = "t" };
        all.Remove(missing);
        var options = RuntaraInstanceOptions.FromEnvironment(name => all.GetValueOrDefault(name));

        var error = Assert.Throws<RuntaraConfigurationException>(options.Validate);
        Assert.Equal(missing, error.Key);
        Assert.Equal(SdkErrorCodes.Configuration, error.Code);
    }

    [Theory]
    [InlineData("[::1]:8001")]
    [InlineData("10.0.0.5:9001")]
    [InlineData("core.internal:8001")]
    [InlineData("tcp://localhost:8001")]
    [InlineData("core-a:8001,core-b:8001")]
    [InlineData("10.0.0.5:8001, [::1]:8001")]
    public void Server_address_accepts_ipv6_host_names_uris_and_lists(string address)
    {
        var options = Read((InstanceEnvironment.InstanceId, "i"), (InstanceEnvironment.TenantId, "t"), (InstanceEnvironment.ServerAddress, address));

        options.Validate();
        Assert.Equal(address, options.ServerAddress);
    }

    [Theory]
    [InlineData("::1:8001")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("core-a:8001,")]
    [InlineData("core-a:8001,unix:/run/core.sock")]
    public void An_invalid_server_address_names_its_variable(string address)
    {
        var options = Read((InstanceEnvironment.InstanceId, "i"), (InstanceEnvironment.TenantId, "t"), (InstanceEnvironment.ServerAddress, address));

        Assert.Equal(InstanceEnvironment.ServerAddress, Assert.Throws<RuntaraConfigurationException>(options.Validate).Key);
    }

    [Fact]
    public void Every_contract_variable_is_read()
    {
        using var directory = new TempDirectory();
        var pinned = Path.Combine(directory.Path, "dev.crt");
        File.WriteAllText(pinned, "not checked here");
        var options = Read(
            (InstanceEnvironment.InstanceId, "i"),
            (InstanceEnvironment.TenantId, "t"),
            (InstanceEnvironment.ServerName, "core.test"),
            (InstanceEnvironment.Transport, "TCP"),
            (InstanceEnvironment.PinnedCertificate, pinned),
            (InstanceEnvironment.SkipCertificateVerification, "1"),
            (InstanceEnvironment.CheckpointId, "step:x"),
            (InstanceEnvironment.InputPath, "/data/input.json"),
            (InstanceEnvironment.OutputPath, "/data/output.json"),
            (InstanceEnvironment.WorkspaceDirectory, "/data/workspace"),
            (InstanceEnvironment.HeartbeatIntervalMs, "0"),
            (InstanceEnvironment.ConnectTimeoutMs, "2500"),
            (InstanceEnvironment.RequestTimeoutMs, "7000"),
            (InstanceEnvironment.SignalPollIntervalMs, "250"),
            (InstanceEnvironment.CoreUnavailableToleranceMs, "60000"),
            (InstanceEnvironment.TraceParent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));

        options.Validate();
        Assert.Equal("core.test", options.ServerName);
        Assert.Equal(TransportKind.Tcp, options.Transport);
        Assert.Equal(pinned, options.PinnedCertificatePath);
        Assert.True(options.SkipCertificateVerification);
        Assert.Equal("step:x", options.CheckpointId);
        Assert.Equal("/data/input.json", options.InputPath);
        Assert.Equal("/data/output.json", options.OutputPath);
        Assert.Equal("/data/workspace", options.WorkspaceDirectory);
        Assert.Equal(TimeSpan.Zero, options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(7000), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.SignalPollInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), options.CoreUnavailableTolerance);
        Assert.StartsWith("00-0af7", options.TraceParent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(InstanceEnvironment.HeartbeatIntervalMs, "soon")]
    [InlineData(InstanceEnvironment.ConnectTimeoutMs, "0")]
    [InlineData(InstanceEnvironment.RequestTimeoutMs, "-5")]
    [InlineData(InstanceEnvironment.SignalPollIntervalMs, "1.5")]
    [InlineData(InstanceEnvironment.CoreUnavailableToleranceMs, "5m")]
    [InlineData(InstanceEnvironment.Transport, "udp")]
    [InlineData(InstanceEnvironment.SkipCertificateVerification, "maybe")]
    public void An_unparseable_value_is_an_error_naming_the_variable_not_a_silent_default(string variable, string value)
    {
        var error = Assert.Throws<RuntaraConfigurationException>(() => Read((variable, value)));

        Assert.Equal(variable, error.Key);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("YES", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    public void Skip_verification_accepts_the_usual_spellings(string value, bool expected) =>
        Assert.Equal(expected, Read((InstanceEnvironment.SkipCertificateVerification, value)).SkipCertificateVerification);

    [Fact]
    public void A_pinned_certificate_that_does_not_exist_names_its_variable()
    {
        var options = Read((InstanceEnvironment.InstanceId, "i"), (InstanceEnvironment.TenantId, "t"), (InstanceEnvironment.PinnedCertificate, "/nonexistent/dev.crt"));

        Assert.Equal(InstanceEnvironment.PinnedCertificate, Assert.Throws<RuntaraConfigurationException>(options.Validate).Key);
    }

    [SkippableFact]
    public void Quic_where_msquic_is_missing_is_a_setting_error_naming_the_variable()
    {
        Skip.If(TransportSupport.IsQuicSupported, "QUIC is available here: RUNTARA_TRANSPORT=quic is valid.");
        var options = Read((InstanceEnvironment.InstanceId, "i"), (InstanceEnvironment.TenantId, "t"), (InstanceEnvironment.Transport, "quic"));

        var error = Assert.Throws<RuntaraConfigurationException>(options.Validate);

        Assert.Equal(InstanceEnvironment.Transport, error.Key);
        Assert.Contains("msquic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_database_variable_selects_the_embedded_backend_and_needs_no_address()
    {
        var options = Read((InstanceEnvironment.InstanceId, "i"), (InstanceEnvironment.TenantId, "t"), (InstanceEnvironment.EmbeddedDatabase, "/tmp/x.db"), (InstanceEnvironment.ServerAddress, "not an address"));

        options.Validate();
        Assert.Equal("/tmp/x.db", options.EmbeddedDatabasePath);
    }
}

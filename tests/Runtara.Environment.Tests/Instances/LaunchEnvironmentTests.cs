using System.Collections;
using System.Diagnostics;
using Runtara.Environment.Hosting;
using Runtara.Environment.Instances;
using Runtara.Environment.Storage;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Transport;

namespace Runtara.Environment.Tests.Instances;

/// <summary>The variables an instance is launched with (docs/instance-contract.md, "Environment variables given to an instance").</summary>
public sealed class LaunchEnvironmentTests
{
    private static readonly RunDirectory Directory = new(Path.Combine(Path.GetTempPath(), "runtara-data"), "acme", "order-1");

    private static RunRecord Run(string? env = null) => new()
    {
        InstanceId = "order-1",
        TenantId = "acme",
        ImageId = "img-1",
        ImageName = "orders",
        Env = env,
    };

    private static Dictionary<string, string> Build(
        RunRecord? run = null, EnvironmentOptions? options = null, IDictionary? inherited = null, string? checkpointId = null, Activity? activity = null) =>
        LaunchEnvironment.Build(run ?? Run(), "orders", Directory, checkpointId, "token-1", options ?? new EnvironmentOptions(), inherited ?? new Hashtable(), activity);

    [Theory]
    [InlineData(TransportKind.Auto, "tcp")]
    [InlineData(TransportKind.Tcp, "tcp")]
    [InlineData(TransportKind.Quic, "quic")]
    public void Instances_get_TLS_TCP_unless_the_environment_asks_for_QUIC(TransportKind environment, string instance)
    {
        // Auto: an instance's calls come one after another, where QUIC is still slower (docs/protocol.md, "Choosing").
        Assert.Equal(instance, Build(options: new EnvironmentOptions { Transport = environment })[LaunchVariables.Transport]);
    }

    [Fact]
    public void Launch_environment_names_the_instance_its_files_and_the_core()
    {
        var variables = Build(options: new EnvironmentOptions { CoreInstanceAddress = "core.internal:9001", Transport = TransportKind.Tcp });

        Assert.Equal("order-1", variables[LaunchVariables.InstanceId]);
        Assert.Equal("acme", variables[LaunchVariables.TenantId]);
        Assert.Equal("token-1", variables[LaunchVariables.InstanceToken]);
        Assert.Equal("core.internal:9001", variables[LaunchVariables.ServerAddress]);
        Assert.Equal("tcp", variables[LaunchVariables.Transport]);
        Assert.Equal(Directory.InputPath, variables[LaunchVariables.InputPath]);
        Assert.Equal(Directory.OutputPath, variables[LaunchVariables.OutputPath]);
        Assert.Equal(Directory.WorkspacePath, variables[LaunchVariables.WorkspaceDirectory]);
    }

    [Fact]
    public void A_list_of_cores_is_handed_to_instances_as_it_is_and_defaults_to_each_cores_instance_port()
    {
        var variables = Build(options: new EnvironmentOptions { CoreInstanceAddress = "core-a:8001,core-b:8001" });

        Assert.Equal("core-a:8001,core-b:8001", variables[LaunchVariables.ServerAddress]);
        Assert.Equal("core-a:8001,core-b:8001,[::1]:8001", EnvironmentOptions.DefaultInstanceAddress("core-a:8003, core-b:8003,[::1]:8003"));
    }

    [Fact]
    public void Instances_get_the_cores_unix_socket_while_it_exists_and_its_tcp_address_otherwise()
    {
        var folder = System.IO.Directory.CreateTempSubdirectory("runtara-launch-socket-").FullName;
        try
        {
            var socket = Path.Combine(folder, "instance.sock");
            var options = new EnvironmentOptions { CoreInstanceAddress = "127.0.0.1:9001", CoreInstanceSocket = socket };

            var before = Build(options: options)[LaunchVariables.ServerAddress];
            using (var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            {
                listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
                var listening = Build(options: options)[LaunchVariables.ServerAddress];

                Assert.Equal("unix:" + socket, listening);
            }

            Assert.Equal("127.0.0.1:9001", before);
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Launch_environment_defaults_to_the_local_core_and_leaves_optional_variables_unset()
    {
        var variables = Build();

        Assert.Equal("127.0.0.1:8001", variables[LaunchVariables.ServerAddress]);
        // Auto gives instances TLS/TCP (docs/protocol.md, "Choosing").
        Assert.Equal("tcp", variables[LaunchVariables.Transport]);
        Assert.All(
            new[] { LaunchVariables.ServerName, LaunchVariables.PinnedCertificate, LaunchVariables.CaCertificate, LaunchVariables.SkipCertificateVerification,
                LaunchVariables.CheckpointId, LaunchVariables.HeartbeatIntervalMs, LaunchVariables.TraceParent, LaunchVariables.TraceState },
            name => Assert.False(variables.ContainsKey(name), name));
    }

    [Fact]
    public void Launch_environment_pins_the_core_certificate_when_configured()
    {
        var options = new EnvironmentOptions();
        options.CoreTls.PinnedCertificatePath = "tls/core.crt";
        options.CoreTls.CaCertificatePath = "tls/ca.pem";
        options.CoreTls.ServerName = "core.runtara";

        var variables = Build(options: options);

        // Relative paths are made absolute: the instance runs in its own directory.
        Assert.Equal(Path.GetFullPath("tls/core.crt"), variables[LaunchVariables.PinnedCertificate]);
        Assert.Equal(Path.GetFullPath("tls/ca.pem"), variables[LaunchVariables.CaCertificate]);
        Assert.Equal("core.runtara", variables[LaunchVariables.ServerName]);
    }

    [Fact]
    public void Launch_environment_passes_skip_verification_checkpoint_and_heartbeat_when_set()
    {
        var options = new EnvironmentOptions { InstanceHeartbeatIntervalMs = 1500 };
        options.CoreTls.DangerousSkipCertificateVerification = true;

        var variables = Build(options: options, checkpointId: "step:3");

        Assert.Equal("true", variables[LaunchVariables.SkipCertificateVerification]);
        Assert.Equal("step:3", variables[LaunchVariables.CheckpointId]);
        Assert.Equal("1500", variables[LaunchVariables.HeartbeatIntervalMs]);
    }

    [Fact]
    public void Custom_variables_are_passed_but_never_override_or_supply_contract_variables()
    {
        var env = """{"FEATURE":"on","RUNTARA_INSTANCE_ID":"impersonated","RUNTARA_INSTANCE_TOKEN":"forged","RUNTARA_TLS_PINNED_CERT":"/tmp/evil.crt"}""";

        var variables = Build(run: Run(env));

        Assert.Equal("on", variables["FEATURE"]);
        Assert.Equal("order-1", variables[LaunchVariables.InstanceId]);
        Assert.Equal("token-1", variables[LaunchVariables.InstanceToken]);
        Assert.False(variables.ContainsKey(LaunchVariables.PinnedCertificate));
    }

    [Fact]
    public void Only_the_listed_variables_of_the_environment_itself_are_inherited()
    {
        var inherited = new Hashtable
        {
            ["PATH"] = "/usr/bin",
            ["HOME"] = "/home/runtara",
            ["DOTNET_gcServer"] = "0",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317",
            ["OTEL_SERVICE_NAME"] = "runtara-environment",
            ["AWS_SECRET_ACCESS_KEY"] = "secret",
            ["Runtara__Environment__Security__Keys__k1"] = "key",
            ["Runtara__Environment__ApiKeys__admin__Key"] = "api-key",
            ["ConnectionStrings__runtara-postgres"] = "Host=db;Password=secret",
            // Configuration keys in the .NET host's DOTNET_ prefix are configuration, not runtime settings.
            ["DOTNET_ConnectionStrings__runtara-postgres"] = "Host=db;Password=secret",
            ["DOTNET_Runtara__Environment__PostgresConnectionString"] = "Host=db;Password=secret",
        };

        var variables = Build(inherited: inherited);

        Assert.Equal("/usr/bin", variables["PATH"]);
        Assert.Equal("/home/runtara", variables["HOME"]);
        Assert.Equal("0", variables["DOTNET_gcServer"]);
        Assert.Equal("http://collector:4317", variables["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("orders", variables["OTEL_SERVICE_NAME"]);
        Assert.False(variables.ContainsKey("AWS_SECRET_ACCESS_KEY"));
        Assert.False(variables.ContainsKey("Runtara__Environment__Security__Keys__k1"));
        Assert.DoesNotContain(variables, v => v.Value.Contains("secret", StringComparison.Ordinal) || v.Value.Contains("key", StringComparison.Ordinal) || v.Key.Contains("__", StringComparison.Ordinal));
    }

    [Fact]
    public void An_instance_running_as_a_user_of_its_own_has_its_workspace_as_home()
    {
        var inherited = new Hashtable { ["HOME"] = "/root" };

        Assert.Equal(Directory.WorkspacePath, LaunchEnvironment.Build(Run(), "orders", Directory, null, "token-1", new EnvironmentOptions(), inherited, null, ownUser: true)["HOME"]);
        Assert.Equal("/root", Build(inherited: inherited)["HOME"]);
    }

    [Fact]
    public void Launch_environment_continues_the_current_trace()
    {
        using var activity = new Activity("StartInstance").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";

        var variables = Build(activity: activity);

        Assert.Equal(activity.Id, variables[LaunchVariables.TraceParent]);
        Assert.Equal("vendor=1", variables[LaunchVariables.TraceState]);
    }
}

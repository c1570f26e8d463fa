using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Runtara.Management;
using Runtara.Protocol.Transport;

namespace Runtara.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real core process and a real environment process on loopback (port 0, TLS with pinned development
/// certificates, SQLite stores in a temporary directory), plus clients: the typed management client and
/// the `runtara` executable.
/// </summary>
public sealed class Platform : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private ServiceProcess _core;
    private ServiceProcess _environment;
    private readonly string[] _environmentArguments;

    private Platform(string root, ServiceProcess core, int coreInstancePort, int coreManagementPort, ServiceProcess environment, int port, string[] environmentArguments)
    {
        Root = root;
        _core = core;
        CoreInstancePort = coreInstancePort;
        CoreManagementPort = coreManagementPort;
        _environment = environment;
        Port = port;
        _environmentArguments = environmentArguments;
        Client = NewClient();
    }

    public string Root { get; }

    public int CoreInstancePort { get; }

    public int CoreManagementPort { get; }

    public int Port { get; private set; }

    public string EnvironmentData => Path.Combine(Root, "env");

    public string EnvironmentCertificate => Path.Combine(EnvironmentData, "tls", "runtara-dev.crt");

    public RuntaraManagementClient Client { get; private set; }

    public int EnvironmentProcessId => _environment.ProcessId;

    public static async Task<Platform> StartAsync(params string[] extraEnvironmentArguments)
    {
        var root = Directory.CreateTempSubdirectory("runtara-e2e-").FullName;
        // Instances run as users of their own (docs/security.md) and pass through it to their run directories.
        SharedDirectory.MakePassable(root);
        var coreData = Directory.CreateDirectory(Path.Combine(root, "core")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "env"));
        var (core, endpoints) = await StartCoreAsync(coreData, instancePort: 0, managementPort: 0);
        var instancePort = endpoints.RootElement.GetProperty("instancePort").GetInt32();
        var managementPort = endpoints.RootElement.GetProperty("managementPort").GetInt32();
        var certificate = endpoints.RootElement.GetProperty("certificatePath").GetString()!;
        string[] arguments =
        [
            "--Urls=http://127.0.0.1:0", "--Runtara:Environment:Port=0", "--Runtara:Environment:Transport=Tcp",
            $"--Runtara:Environment:DataDirectory={Path.Combine(root, "env")}",
            // A uid range of its own: other test processes run environments as root side by side (docs/security.md, "Instance users").
            $"--Runtara:Environment:InstanceUidFirst={300_000 + (1024 * Random.Shared.Next(64))}",
            "--Runtara:Environment:InstanceUidCount=1024",
            $"--Runtara:Environment:CoreAddress=127.0.0.1:{managementPort}",
            $"--Runtara:Environment:CoreInstanceAddress=127.0.0.1:{instancePort}",
            // Instances reach the core on its Unix socket, as under the Aspire integration (TCP while it is gone).
            $"--Runtara:Environment:CoreInstanceSocket={Path.Combine(coreData, "instance.sock")}",
            $"--Runtara:Environment:CoreTls:PinnedCertificatePath={certificate}",
            $"--Runtara:Environment:Security:KeyFile={TestCredentials.KeyFile(coreData)}",
            "--Runtara:Environment:WakeInterval=00:00:00.200", "--Runtara:Environment:HeartbeatInterval=00:00:01",
            "--Runtara:Environment:TerminateGracePeriod=00:00:01", "--Runtara:Environment:ProcessSampleInterval=00:00:00.050",
            .. extraEnvironmentArguments,
        ];
        var (environment, port) = await StartEnvironmentAsync(root, arguments);
        return new Platform(root, core, instancePort, managementPort, environment, port, arguments);
    }

    /// <summary>The all-tenant API key the environment generated into its data directory.</summary>
    public string AdminApiKey => TestCredentials.ApiKey(EnvironmentData);

    public RuntaraManagementClient NewClient(string? tenantId = null, string? apiKey = null) => new(new ManagementClientOptions
    {
        ApiKey = apiKey ?? AdminApiKey,
        Address = $"127.0.0.1:{Port}",
        Transport = TransportKind.Tcp,
        PinnedCertificatePath = EnvironmentCertificate,
        TenantId = tenantId,
        RequestTimeout = TimeSpan.FromSeconds(60),
    });

    /// <summary>SIGKILLs the environment process (no shutdown code runs) and starts a new one on the same data directory.</summary>
    public async Task KillAndRestartEnvironmentAsync(Func<Task>? whileDown = null)
    {
        await Client.DisposeAsync();
        await _environment.KillAsync();
        await _environment.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        (_environment, Port) = await StartEnvironmentAsync(Root, _environmentArguments);
        Client = NewClient();
    }

    public string CoreData => Path.Combine(Root, "core");

    public int CoreProcessId => _core.ProcessId;

    /// <summary>
    /// Stops the core — SIGKILL like a crash, or with <paramref name="graceful"/> SIGTERM and a wait for
    /// its shutdown — waits <paramref name="downtime"/>, and starts a new core process on the same data
    /// directory and the same instance and management ports, as an operator restarting the service would.
    /// Returns how long the core was gone (from the stop to the new core's endpoints file).
    /// </summary>
    public async Task<TimeSpan> RestartCoreAsync(bool graceful, TimeSpan downtime)
    {
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        if (graceful)
        {
            await _core.TerminateAsync(StartTimeout);
        }
        else
        {
            await _core.KillAsync();
        }

        await _core.DisposeAsync();
        await Task.Delay(downtime);
        (_core, _) = await StartCoreAsync(CoreData, CoreInstancePort, CoreManagementPort);
        return stopped.Elapsed;
    }

    public string CoreOutput => _core.Output;

    /// <summary>A zip of the test instance (the image every scenario registers).</summary>
    public string TestImageZip()
    {
        var path = Path.Combine(Root, "test-instance.zip");
        if (!File.Exists(path))
        {
            ZipFile.CreateFromDirectory(Paths.TestInstanceFolder, path);
        }

        return path;
    }

    /// <summary>Registers the order workflow sample (samples/Runtara.Samples.OrderWorkflow) as the image "order-workflow" of <paramref name="tenantId"/>.</summary>
    public Task<string> RegisterOrderWorkflowAsync(string tenantId)
    {
        var zip = Path.Combine(Root, $"order-workflow-{Guid.NewGuid():N}.zip");
        ZipFile.CreateFromDirectory(Paths.OrderWorkflowFolder, zip);
        return Client.RegisterImageFromFileAsync(zip, new RegisterImageOptions { TenantId = tenantId, Name = "order-workflow", Entrypoint = "Runtara.Samples.OrderWorkflow.dll" });
    }

    /// <summary>The counting workflow (tests/Runtara.Sdk.TestWorkflow), framework-dependent, as the image "counting-workflow".</summary>
    public Task<string> RegisterCountingWorkflowAsync(string tenantId) =>
        Client.RegisterImageFromDirectoryAsync(
            Paths.SdkTestWorkflowFolder,
            new RegisterImageOptions { TenantId = tenantId, Name = "counting-workflow", Entrypoint = "Runtara.Sdk.TestWorkflow.dll" });

    public Task<string> RegisterTestImageAsync(string tenantId, string name = "test-instance") =>
        Client.RegisterImageFromFileAsync(TestImageZip(), new RegisterImageOptions { TenantId = tenantId, Name = name, Entrypoint = "Runtara.TestInstance.dll" });

    /// <summary>Runs the real `runtara` executable against this environment.</summary>
    public async Task<CliResult> RunCliAsync(string? tenantId, params string[] arguments)
    {
        var start = new ProcessStartInfo(Paths.Cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["RUNTARA_ENVIRONMENT_ADDR"] = $"127.0.0.1:{Port}";
        start.Environment["RUNTARA_TLS_PINNED_CERT"] = EnvironmentCertificate;
        start.Environment["RUNTARA_TRANSPORT"] = "tcp";
        start.Environment["RUNTARA_API_KEY"] = AdminApiKey;
        if (tenantId is null)
        {
            start.Environment.Remove("RUNTARA_TENANT_ID");
        }
        else
        {
            start.Environment["RUNTARA_TENANT_ID"] = tenantId;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public string EnvironmentOutput => _environment.Output;

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _environment.DisposeAsync();
        await _core.DisposeAsync();
        LeftoverProcesses.KillMentioning(Root);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Starts a core process on <paramref name="coreData"/> and waits for its endpoints file (port 0 = any free port).</summary>
    internal static async Task<(ServiceProcess Core, JsonDocument Endpoints)> StartCoreAsync(string coreData, int instancePort, int managementPort, params string[] extraArguments)
    {
        var core = ServiceProcess.Start(Paths.CoreDll, coreData,
        [
            "--Urls=http://127.0.0.1:0",
            $"--Runtara:Core:InstancePort={instancePort}", $"--Runtara:Core:ManagementPort={managementPort}", "--Runtara:Core:Transport=Tcp",
            $"--Runtara:Core:DataDirectory={coreData}", "--Runtara:Core:InProcessSleepThreshold=00:00:00.500",
            .. extraArguments,
        ]);
        return (core, await core.WaitReadyAsync(() => ReadJson(Path.Combine(coreData, "core.endpoints.json"), core.ProcessId), StartTimeout, "The core"));
    }

    private static Task<(ServiceProcess, int)> StartEnvironmentAsync(string root, string[] arguments) => StartEnvironmentOnAsync(Path.Combine(root, "env"), arguments);

    /// <summary>Starts an environment process on <paramref name="data"/> and waits for its endpoints file; returns it and its protocol port.</summary>
    internal static async Task<(ServiceProcess, int)> StartEnvironmentOnAsync(string data, string[] arguments)
    {
        var environment = ServiceProcess.Start(Paths.EnvironmentDll, data, arguments);
        var endpoints = await environment.WaitReadyAsync(() => ReadJson(Path.Combine(data, "environment.endpoints.json"), environment.ProcessId), StartTimeout, "The environment");
        return (environment, endpoints.RootElement.GetProperty("port").GetInt32());
    }

    private static JsonDocument? ReadJson(string path, int processId)
    {
        try
        {
            var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.GetProperty("processId").GetInt32() == processId ? document : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

public sealed class PlatformFixture : IAsyncLifetime
{
    public Platform Platform { get; private set; } = null!;

    public async Task InitializeAsync() => Platform = await Platform.StartAsync();

    public async Task DisposeAsync() => await Platform.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}

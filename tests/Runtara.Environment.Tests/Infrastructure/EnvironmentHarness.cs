using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Core.Hosting;
using Runtara.Environment.Hosting;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;
using Runtara.Testing.Core;

namespace Runtara.Environment.Tests.Infrastructure;

/// <summary>
/// A real core and a real environment in the test process, composed as their Program.cs do, on port 0
/// over TLS/TCP with their own SQLite stores (or PostgreSQL), plus a management client for the environment.
/// Instance processes are real (the test instance, launched by the process runner).
/// </summary>
public sealed class EnvironmentHarness : IAsyncDisposable
{
    private readonly CoreApp _core;
    private readonly bool _ownsCore;
    private WebApplication _environment;
    private readonly IDictionary<string, string?> _environmentSettings;
    private bool _crashed;

    private EnvironmentHarness(string root, CoreApp core, bool ownsCore, CoreEndpoints coreEndpoints, WebApplication environment, IDictionary<string, string?> environmentSettings)
    {
        Root = root;
        _core = core;
        _ownsCore = ownsCore;
        CoreEndpoints = coreEndpoints;
        _environment = environment;
        _environmentSettings = environmentSettings;
        RunCgroupDirectory = RunCgroupDirectoryOf(environment);
        Client = NewClient();
    }

    public string Root { get; }

    public string EnvironmentDataDirectory => Path.Combine(Root, "env");

    public CoreEndpoints CoreEndpoints { get; }

    public RuntaraManagementClient Client { get; private set; }

    public IServiceProvider Services => _environment.Services;

    /// <summary>Where the process runner of this environment puts its runs' cgroups (below a controller's root); read at start, so it outlives the host.</summary>
    public string RunCgroupDirectory { get; private set; }

    public int Port => EnvironmentEndpoints.TryRead(EnvironmentDataDirectory)!.Port;

    /// <param name="logs">When given, every log line of the core and the environment, at every level, goes there.</param>
    /// <param name="coreInstanceSocket">When true, instances reach the core through its instance socket (<c>Runtara:Environment:CoreInstanceSocket</c>).</param>
    /// <param name="sharedCore">
    /// Another harness whose core this environment uses (several environments on one core and, with
    /// <paramref name="environmentPostgres"/>, one database); that harness stops the core. Its own data directory and uid block.
    /// </param>
    public static async Task<EnvironmentHarness> StartAsync(IDictionary<string, string?>? environmentSettings = null, IDictionary<string, string?>? coreSettings = null, string? environmentPostgres = null, CapturedLogs? logs = null, bool coreInstanceSocket = false, EnvironmentHarness? sharedCore = null)
    {
        var root = Directory.CreateTempSubdirectory("runtara-env-tests-").FullName;
        // Created 0700; instances running as users of their own (docs/security.md) must pass through it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        var core = sharedCore?._core ?? await StartCoreAsync(Path.Combine(root, "core"), coreSettings, logs);
        var endpoints = core.Endpoints;
        var settings = new Dictionary<string, string?>
        {
            ["Runtara:Environment:Port"] = "0",
            ["Runtara:Environment:BindAddress"] = "127.0.0.1",
            ["Runtara:Environment:Transport"] = "Tcp",
            ["Runtara:Environment:DataDirectory"] = Path.Combine(root, "env"),
            ["Runtara:Environment:CoreAddress"] = $"127.0.0.1:{endpoints.ManagementPort}",
            ["Runtara:Environment:CoreInstanceAddress"] = $"127.0.0.1:{endpoints.InstancePort}",
            // Pinning the core's development certificate, the environment also finds the token keys the
            // core generated next to it (docs/security.md, zero set-up): no key is configured here.
            ["Runtara:Environment:CoreTls:PinnedCertificatePath"] = endpoints.CertificatePath,
            ["Runtara:Environment:PostgresConnectionString"] = environmentPostgres ?? string.Empty,
            ["Runtara:Environment:WakeInterval"] = "00:00:00.200",
            ["Runtara:Environment:HeartbeatInterval"] = "00:00:01",
            ["Runtara:Environment:HeartbeatTimeout"] = "00:02:00",
            ["Runtara:Environment:TerminateGracePeriod"] = "00:00:01",
            ["Runtara:Environment:ShutdownTimeout"] = "00:00:02",
            ["Runtara:Environment:ProcessSampleInterval"] = "00:00:00.050",
            ["Runtara:Environment:InstanceUidFirst"] = UidBlocks.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Runtara:Environment:InstanceUidCount"] = UidBlocks.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (coreInstanceSocket)
        {
            settings["Runtara:Environment:CoreInstanceSocket"] = endpoints.InstanceSocket ?? throw new InvalidOperationException("the core has no instance socket");
        }

        foreach (var (key, value) in environmentSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        try
        {
            var environment = await StartEnvironmentAsync(settings, logs);
            return new EnvironmentHarness(root, core, sharedCore is null, endpoints, environment, settings);
        }
        catch
        {
            if (sharedCore is null)
            {
                await core.StopAsync();
            }

            throw;
        }
    }

    /// <summary>Stops the environment gracefully (instance processes keep running) and starts a new one on the same data directory.</summary>
    public async Task RestartEnvironmentAsync(Func<Task>? whileDown = null)
    {
        await Client.DisposeAsync();
        await _environment.StopAsync();
        await _environment.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        _environment = await StartEnvironmentAsync(_environmentSettings);
        RunCgroupDirectory = RunCgroupDirectoryOf(_environment);
        Client = NewClient();
    }

    /// <summary>
    /// The environment dies as on a machine failure: it stops without settling anything (its monitors end, its
    /// runs stay recorded as running and owned by it, its leases are no longer renewed) and its instance processes
    /// are killed. The core keeps running.
    /// </summary>
    public async Task CrashEnvironmentAsync()
    {
        _crashed = true;
        await Client.DisposeAsync();
        await _environment.StopAsync();
        await _environment.DisposeAsync();
        KillLeftovers();
    }

    /// <summary>The all-tenant API key the environment generated into its data directory.</summary>
    public string AdminApiKey => _environmentSettings.TryGetValue(AdminApiKeySetting, out var configured) && configured is not null
        ? configured
        : TestCredentials.ApiKey(EnvironmentDataDirectory);

    /// <summary>Configure this key to give the harness's own client an all-tenant key when the test configures API keys.</summary>
    public const string AdminApiKeySetting = "Runtara:Environment:ApiKeys:admin:Key";

    public RuntaraManagementClient NewClient(string? tenantId = null, string? apiKey = null) => new(new ManagementClientOptions
    {
        ApiKey = apiKey ?? AdminApiKey,
        Address = $"127.0.0.1:{Port}",
        Transport = TransportKind.Tcp,
        PinnedCertificatePath = DevelopmentCertificate.CertificatePath(Path.Combine(EnvironmentDataDirectory, "tls")),
        TenantId = tenantId,
        RequestTimeout = TimeSpan.FromSeconds(60),
    });

    /// <summary>Registers the test instance image for <paramref name="tenantId"/>, with <paramref name="metadata"/> (a JSON object: runner, network, limits) when given.</summary>
    public Task<string> RegisterTestImageAsync(string tenantId, string name = "test-instance", System.Text.Json.JsonElement? metadata = null) =>
        Client.RegisterImageFromFileAsync(TestImages.TestInstanceZip, new RegisterImageOptions { TenantId = tenantId, Name = name, Entrypoint = TestImages.TestInstanceEntrypoint, Metadata = metadata });

    /// <summary>How long the waits below give an instance (a loaded 2-core machine takes seconds to launch processes).</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Registers the test instance with content of its own (the same program with one more file), so it has an
    /// image folder, and so warm pools, of its own (they are per image folder); returns the image and its folder.
    /// </summary>
    public async Task<(string Image, string Root)> RegisterUniqueTestImageAsync(string tenant, string metadata)
    {
        var options = new RegisterImageOptions
        {
            TenantId = tenant,
            Name = "test-instance",
            Entrypoint = TestImages.TestInstanceEntrypoint,
            Metadata = System.Text.Json.JsonDocument.Parse(metadata).RootElement,
        };
        var zip = Path.Combine(Root, $"unique-{Guid.NewGuid():N}.zip");
        File.Copy(TestImages.TestInstanceZip, zip);
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = archive.CreateEntry("unique.txt");
            await using var writer = new StreamWriter(entry.Open());
            await writer.WriteAsync(zip);
        }

        var id = await Client.RegisterImageFromFileAsync(zip, options);
        var record = await Services.GetRequiredService<Runtara.Environment.Storage.IEnvironmentStore>().GetImageAsync(id, CancellationToken.None);
        return (id, Services.GetRequiredService<Runtara.Environment.Images.ImageService>().ImageRoot(record!));
    }

    /// <summary>
    /// Registers the test image for a new tenant (or <paramref name="tenantId"/>) and starts it with
    /// input <c>{"mode": mode}</c> (no input when <paramref name="mode"/> is null: it completes at once).
    /// </summary>
    public async Task<TestRun> StartTestInstanceAsync(string? mode = null, Action<StartInstanceOptions>? configure = null, string? tenantId = null)
    {
        var tenant = tenantId ?? Ids.Tenant();
        var image = await RegisterTestImageAsync(tenant);
        return new TestRun(await StartTestInstanceAsync(image, tenant, mode, configure), tenant, image);
    }

    /// <summary>Starts another instance of a registered test image; returns its id.</summary>
    public Task<string> StartTestInstanceAsync(string imageId, string tenantId, string? mode, Action<StartInstanceOptions>? configure = null)
    {
        var options = new StartInstanceOptions { ImageId = imageId, TenantId = tenantId, Input = mode is null ? null : $$"""{"mode":"{{mode}}"}""" };
        configure?.Invoke(options);
        return Client.StartInstanceAsync(options);
    }

    /// <summary>Waits until the instance is in <paramref name="status"/> (and <paramref name="also"/> holds).</summary>
    public Task<InstanceInfo> WaitForStatusAsync(string instanceId, InstanceStatus status, Func<InstanceInfo, bool>? also = null) =>
        Wait.UntilAsync(() => Client.GetInstanceAsync(instanceId), i => i.Status == status && (also is null || also(i)), Deadline, $"instance {instanceId} to be {status}");

    /// <summary>Waits until the instance has finished (or, when asked, suspended).</summary>
    public Task<InstanceInfo> WaitForEndAsync(string instanceId, bool orSuspended = false) =>
        Client.WaitForCompletionAsync(instanceId, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = Deadline, ReturnWhenSuspended = orSuspended });

    public async ValueTask DisposeAsync()
    {
        if (!_crashed)
        {
            await Client.DisposeAsync();
            await _environment.StopAsync();
            await _environment.DisposeAsync();
        }

        if (_ownsCore)
        {
            await _core.StopAsync();
        }

        KillLeftovers();
        RemoveRunCgroups();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Instance processes still running from this harness's data directory (a test that left one).</summary>
    private void KillLeftovers() => LeftoverProcesses.KillMentioning(Root);

    /// <summary>
    /// The process runner's cgroups of this harness's runs (as root): a run still live when the environment
    /// stopped keeps its cgroup for the next environment to adopt or settle, and no next one comes here.
    /// </summary>
    private static string RunCgroupDirectoryOf(WebApplication environment)
    {
        var options = environment.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EnvironmentOptions>>().Value;
        return Runtara.Environment.Runner.ProcessRunner.CgroupDirectory(options.Oci.CgroupParent, options.ResolveEnvironmentId());
    }

    private void RemoveRunCgroups()
    {
        var runs = Path.Combine(EnvironmentDataDirectory, "runs");
        var directory = RunCgroupDirectory;
        if (!Directory.Exists($"/sys/fs/cgroup/pids{directory}") || !Directory.Exists(runs))
        {
            return;
        }

        foreach (var run in Directory.EnumerateDirectories(runs).SelectMany(Directory.EnumerateDirectories))
        {
            foreach (var controller in new[] { "memory", "pids", "cpu" })
            {
                var cgroup = $"/sys/fs/cgroup/{controller}{directory}/runtara-{Path.GetFileName(run)}";
                // The killed processes leave their cgroup as they exit: a few tries, then left as it is.
                for (var attempt = 0; attempt < 20 && Directory.Exists(cgroup); attempt++)
                {
                    try
                    {
                        Directory.Delete(cgroup);
                    }
                    catch (IOException)
                    {
                        Thread.Sleep(10);
                    }
                    catch (UnauthorizedAccessException)
                    {
                        // Not root: not ours to remove.
                        break;
                    }
                }
            }
        }
    }

    private static async Task<CoreApp> StartCoreAsync(string dataDirectory, IDictionary<string, string?>? overrides, CapturedLogs? logs)
    {
        var configuration = new Dictionary<string, string?> { ["Runtara:Core:InProcessSleepThreshold"] = "00:00:00.500" };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        return await CoreApp.StartAsync(dataDirectory, configuration, logs is null ? null : l => Capture(l, logs));
    }

    private static void Capture(ILoggingBuilder logging, CapturedLogs? logs)
    {
        if (logs is not null)
        {
            logging.AddProvider(logs);
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddFilter(_ => true);
        }
    }

    private static async Task<WebApplication> StartEnvironmentAsync(IDictionary<string, string?> settings, CapturedLogs? logs = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (System.Environment.GetEnvironmentVariable("RUNTARA_TEST_LOGS") == "1")
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        Capture(builder.Logging, logs);

        builder.AddServiceDefaults();
        builder.AddRuntaraEnvironment();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }
}

/// <summary>
/// Disjoint instance-uid ranges for the environments a test run starts side by side (several in this
/// process, more in other test processes): an environment kills every process of a uid it frees, so two
/// environments sharing a range could kill each other's instances (docs/security.md, "Instance users").
/// </summary>
public static class UidBlocks
{
    public const int Size = 1024;

    // Blocks 1–63 of the default range 200000–265535 (block 0 starts there: left to environments started with defaults).
    private static readonly int Seed = Random.Shared.Next(63);
    private static int _next;

    public static int Next() => new EnvironmentOptions().InstanceUidFirst + (Size * (1 + ((Seed + Interlocked.Increment(ref _next)) % 63)));
}

/// <summary>An instance of the test image started by <see cref="EnvironmentHarness.StartTestInstanceAsync(string?, Action{StartInstanceOptions}?, string?)"/>.</summary>
public sealed record TestRun(string Id, string TenantId, string ImageId);

/// <summary>One harness shared by the tests of a collection; each test uses its own tenant and instance ids.</summary>
public sealed class EnvironmentFixture : IAsyncLifetime
{
    public EnvironmentHarness Harness { get; private set; } = null!;

    public async Task InitializeAsync() => Harness = await EnvironmentHarness.StartAsync();

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class EnvironmentCollection : ICollectionFixture<EnvironmentFixture>
{
    public const string Name = "environment";
}

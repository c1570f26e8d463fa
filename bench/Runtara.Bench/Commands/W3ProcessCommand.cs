using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Bench.Infrastructure;
using Runtara.Core.Hosting;
using Runtara.Environment.Hosting;
using Runtara.Management;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>w3-process</c>: N sequential starts (default 200) of a one-step image through the environment,
/// each a real process launch (StartInstance → process → register → checkpoint → COMPLETED), timed
/// until the result is readable through GetInstanceStatus. Core and environment run in this process
/// (SQLite, TLS/TCP on loopback); the instances are separate processes.
/// </summary>
internal sealed class W3ProcessCommand : IBenchCommand
{
    public string Name => "w3-process";

    public string Usage => "[--count N=200] [--warmup N=10] [--poll-ms MS=2] [--image ZIP_OR_FOLDER (default: tests/Runtara.TestInstance published ReadyToRun)] [--ready-to-run true|false] [--entrypoint FILE] [--data DIR=./bench-data]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, arguments.GetInt("count", 200));
        var warmup = arguments.GetInt("warmup", 10);
        var poll = TimeSpan.FromMilliseconds(Math.Max(1, arguments.GetInt("poll-ms", 2)));
        var image = arguments.GetString("image", string.Empty);
        var entrypoint = arguments.GetString("entrypoint", "Runtara.TestInstance.dll");
        var readyToRun = bool.Parse(arguments.GetString("ready-to-run", "true"));
        var data = Path.Combine(arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data")), $"w3-process-{Guid.NewGuid():N}");
        arguments.EnsureAllRead();

        var imagePath = await ResolveImageAsync(image, readyToRun, data, cancellationToken);
        Directory.CreateDirectory(data);
        var coreData = Path.Combine(data, "core");
        var envData = Path.Combine(data, "env");
        using var core = Build(new Dictionary<string, string?>
        {
            ["Runtara:Core:InstancePort"] = "0",
            ["Runtara:Core:ManagementPort"] = "0",
            ["Runtara:Core:Transport"] = "Tcp",
            ["Runtara:Core:DataDirectory"] = coreData,
        }, b => b.AddRuntaraCore());
        await core.StartAsync(cancellationToken);
        var endpoints = CoreEndpoints.TryRead(coreData) ?? throw new InvalidOperationException("The core did not write its endpoints file.");
        using var environment = Build(new Dictionary<string, string?>
        {
            ["Runtara:Environment:Port"] = "0",
            ["Runtara:Environment:Transport"] = "Tcp",
            ["Runtara:Environment:DataDirectory"] = envData,
            ["Runtara:Environment:CoreAddress"] = $"127.0.0.1:{endpoints.ManagementPort}",
            ["Runtara:Environment:CoreInstanceAddress"] = $"127.0.0.1:{endpoints.InstancePort}",
            ["Runtara:Environment:CoreTls:PinnedCertificatePath"] = endpoints.CertificatePath,
            ["Runtara:Environment:InstanceHeartbeatIntervalMs"] = "0",
            ["Runtara:Environment:Security:KeyFile"] = Path.Combine(coreData, "security", "runtara.keys"),
        }, b => b.AddRuntaraEnvironment());
        await environment.StartAsync(cancellationToken);
        var port = EnvironmentEndpoints.TryRead(envData)?.Port ?? throw new InvalidOperationException("The environment did not write its endpoints file.");

        try
        {
            await using var client = new RuntaraManagementClient(new ManagementClientOptions
            {
                Address = $"127.0.0.1:{port}",
                Transport = TransportKind.Tcp,
                ApiKey = BenchCredentials.ApiKey(envData),
                PinnedCertificatePath = DevelopmentCertificate.CertificatePath(Path.Combine(envData, "tls")),
                TenantId = "bench",
            });
            var imageId = await client.RegisterImageFromFileAsync(imagePath, new RegisterImageOptions { Name = "w3-one-step", Entrypoint = entrypoint }, cancellationToken: cancellationToken);
            var run = Guid.NewGuid().ToString("N")[..8];

            var startCall = new List<double>();
            async Task OneAsync(string phase, int index, CancellationToken token)
            {
                var began = Stopwatch.GetTimestamp();
                var id = await client.StartInstanceAsync(new StartInstanceOptions { ImageId = imageId, InstanceId = $"w3p-{run}-{phase}-{index}", Input = """{"step":1}""" }, token);
                if (phase == "run")
                {
                    startCall.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                }

                while (true)
                {
                    var info = await client.GetInstanceAsync(id, cancellationToken: token);
                    if (info.Status == InstanceStatus.Completed && info.Output is not null)
                    {
                        return;
                    }

                    if (info.IsTerminal)
                    {
                        throw new InvalidOperationException($"Instance {id} ended {info.Status}: {info.Error}");
                    }

                    await Task.Delay(poll, token);
                }
            }

            for (var i = 0; i < warmup; i++)
            {
                await OneAsync("warmup", i, cancellationToken);
            }

            var (recorder, elapsed) = await LatencyRecorder.RunAsync(1, count, (_, index, token) => OneAsync("run", index, token), cancellationToken);
            recorder.Summarize(elapsed).Print(
                "Runtara w3-process: start a one-step image as a real process until its result is readable",
                [
                    ("instances", count.ToString(CultureInfo.InvariantCulture)),
                    ("image", string.IsNullOrEmpty(image) ? $"tests/Runtara.TestInstance ({(readyToRun ? "published ReadyToRun" : "build output")})" : image),
                    ("storage", "sqlite (core and environment)"),
                    ("transport", "tcp"),
                    ("status poll", $"{poll.TotalMilliseconds:0} ms"),
                    ("StartInstance call p50", string.Create(CultureInfo.InvariantCulture, $"{startCall.Order().ElementAt(startCall.Count / 2):0.0} ms")),
                    ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                ]);
            return 0;
        }
        finally
        {
            await environment.StopAsync(CancellationToken.None);
            await core.StopAsync(CancellationToken.None);
            if (System.Environment.GetEnvironmentVariable("RUNTARA_BENCH_KEEP") != "1")
            {
                TryDelete(data);
            }
        }
    }

    private static IHost Build(Dictionary<string, string?> settings, Action<HostApplicationBuilder> add)
    {
        var builder = ServiceHost.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        add(builder);
        return builder.Build();
    }

    /// <summary>
    /// A zip as given, a folder zipped, or by default the test instance (one checkpointed step, then
    /// COMPLETED) published ReadyToRun — how a production image would be built — and zipped.
    /// </summary>
    private static async Task<string> ResolveImageAsync(string image, bool readyToRun, string data, CancellationToken cancellationToken)
    {
        if (File.Exists(image))
        {
            return Path.GetFullPath(image);
        }

        Directory.CreateDirectory(data);
        var folder = Directory.Exists(image) ? image : DefaultImageFolder();
        if (string.IsNullOrEmpty(image) && readyToRun)
        {
            var published = Path.Combine(data, "image");
            var project = Path.GetFullPath(Path.Combine(folder, "..", "..", "..", "Runtara.TestInstance.csproj"));
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "publish", project, "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", published, "-nologo" })
            {
                start.ArgumentList.Add(argument);
            }

            Console.WriteLine("publishing the test instance ReadyToRun…");
            using var publish = Process.Start(start)!;
            var output = publish.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = publish.StandardError.ReadToEndAsync(cancellationToken);
            await publish.WaitForExitAsync(cancellationToken);
            if (publish.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet publish failed:\n{await output}{await errors}");
            }

            folder = published;
        }

        var zip = Path.Combine(data, "image.zip");
        ZipFile.CreateFromDirectory(folder, zip);
        return zip;
    }

    private static string DefaultImageFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            foreach (var configuration in new[] { "Release", "Debug" })
            {
                var folder = Path.Combine(directory.FullName, "tests", "Runtara.TestInstance", "bin", configuration, "net10.0");
                if (File.Exists(Path.Combine(folder, "Runtara.TestInstance.dll")))
                {
                    return folder;
                }
            }
        }

        throw new ArgumentException("No image given and tests/Runtara.TestInstance is not built; build it or pass --image.");
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

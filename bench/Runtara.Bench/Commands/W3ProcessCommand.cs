using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Bench.Infrastructure;
using Runtara.Core.Hosting;
using Runtara.Environment.Hosting;
using Runtara.Management;
using Runtara.Protocol.Contracts;
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

    public string Usage => "[--count N=200] [--warmup N=10 (at least; more until the JIT is quiet)] [--poll-ms MS=2] [--project DIR=samples/Runtara.Samples.NativeAot] [--publish aot|ready-to-run|jit (default aot)] [--image ZIP_OR_FOLDER (instead of publishing)] [--entrypoint FILE] [--data DIR=./bench-data]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, arguments.GetInt("count", 200));
        var warmup = arguments.GetInt("warmup", 10);
        var poll = TimeSpan.FromMilliseconds(Math.Max(1, arguments.GetInt("poll-ms", 2)));
        var image = arguments.GetString("image", string.Empty);
        var project = arguments.GetString("project", string.Empty);
        var publish = ParsePublishMode(arguments.GetString("publish", "aot"));
        var entrypoint = arguments.GetString("entrypoint", string.Empty);
        var data = Path.Combine(arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data")), $"w3-process-{Guid.NewGuid():N}");
        arguments.EnsureAllRead();

        var (imagePath, imageDescription) = await ResolveImageAsync(image, project, publish, data, cancellationToken);
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
            var registration = new RegisterImageOptions { Name = "w3-one-step", Entrypoint = string.IsNullOrEmpty(entrypoint) ? null : entrypoint };
            var imageId = File.Exists(imagePath)
                ? await client.RegisterImageFromFileAsync(imagePath, registration, cancellationToken: cancellationToken)
                : await client.RegisterImageFromDirectoryAsync(imagePath, registration, cancellationToken: cancellationToken);
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

            var warmedUp = await WarmUp.RunAsync(warmup, round => OneAsync("warmup", round, cancellationToken));

            var (recorder, elapsed) = await LatencyRecorder.RunAsync(1, count, (_, index, token) => OneAsync("run", index, token), cancellationToken);
            recorder.Summarize(elapsed).Print(
                "Runtara w3-process: start a one-step image as a real process until its result is readable",
                [
                    ("instances", count.ToString(CultureInfo.InvariantCulture)),
                    ("image", imageDescription),
                    ("storage", "sqlite (core and environment)"),
                    ("transport", "tcp"),
                    ("status poll", $"{poll.TotalMilliseconds:0} ms"),
                    ("StartInstance call p50", string.Create(CultureInfo.InvariantCulture, $"{startCall.Order().ElementAt(startCall.Count / 2):0.0} ms")),
                    ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                    warmedUp,
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
    /// The image to start: a zip or a folder as given, or by default a one-step project
    /// (samples/Runtara.Samples.NativeAot) published the way a production image would be — native AOT
    /// unless <c>--publish</c> says otherwise. Returns the zip or folder and a description for the
    /// table; the environment infers the entrypoint unless <c>--entrypoint</c> names it.
    /// </summary>
    private static async Task<(string Path, string Description)> ResolveImageAsync(string image, string project, PublishMode publish, string data, CancellationToken cancellationToken)
    {
        if (File.Exists(image) || Directory.Exists(image))
        {
            return (Path.GetFullPath(image), image);
        }

        if (!string.IsNullOrEmpty(image))
        {
            throw new ArgumentException($"--image {image}: no such file or folder");
        }

        var projectFile = ProjectFile(string.IsNullOrEmpty(project) ? Path.Combine(RepositoryRoot(), "samples", "Runtara.Samples.NativeAot") : project);
        var folder = Path.Combine(data, "image");
        await PublishAsync(projectFile, publish, folder, cancellationToken);
        return (folder, $"{Path.GetFileNameWithoutExtension(projectFile)} ({publish switch { PublishMode.Aot => "native AOT", PublishMode.ReadyToRun => "ReadyToRun", _ => "JIT" }})");
    }

    private static async Task PublishAsync(string projectFile, PublishMode publish, string output, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] mode = publish switch
        {
            PublishMode.Aot => ["-p:PublishAot=true"],
            PublishMode.ReadyToRun => ["--self-contained", "false", "-p:PublishAot=false", "-p:PublishReadyToRun=true"],
            _ => ["--self-contained", "false", "-p:PublishAot=false"],
        };
        foreach (var argument in new[] { "publish", projectFile, "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "-o", output, "-nologo" }.Concat(mode))
        {
            start.ArgumentList.Add(argument);
        }

        Console.WriteLine($"publishing {Path.GetFileName(projectFile)} ({publish})…");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed (native AOT needs a C toolchain: cc/clang and zlib):\n{await stdout}{await stderr}");
        }
    }

    private static string ProjectFile(string path) =>
        File.Exists(path) ? Path.GetFullPath(path)
        : Directory.Exists(path) && Directory.GetFiles(path, "*.csproj") is [var single] ? single
        : throw new ArgumentException($"--project {path}: not a project file or a folder with one *.csproj");

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Runtara.sln")))
            {
                return directory.FullName;
            }
        }

        throw new ArgumentException("Runtara.sln not found above the benchmark; pass --project or --image.");
    }

    private static PublishMode ParsePublishMode(string value) => value switch
    {
        "aot" => PublishMode.Aot,
        "ready-to-run" or "r2r" => PublishMode.ReadyToRun,
        "jit" => PublishMode.Jit,
        _ => throw new ArgumentException($"--publish {value}: expected aot, ready-to-run or jit"),
    };

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

    private enum PublishMode
    {
        Aot,
        ReadyToRun,
        Jit,
    }
}

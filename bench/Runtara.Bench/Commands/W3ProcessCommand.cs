using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Bench.Infrastructure;
using Runtara.Core.Hosting;
using Runtara.Environment.Hosting;
using Runtara.Environment.Runner.Oci;
using Runtara.Environment.Runner.Warm;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>w3-process</c>: N sequential starts (default 200) of a one-step image through the environment,
/// each a real process launch (StartInstance → process → register → checkpoint → COMPLETED), timed
/// until the result is readable through GetInstanceStatus. Core and environment run in this process
/// (SQLite, TLS/TCP on loopback); the instances are separate processes, or containers with
/// <c>--runner oci</c> (the OCI runner: runc, no network, the core's instance socket bound in). <c>--warm N</c>
/// keeps N warm containers or warm processes per image (the image's first launch, in the warm-up, makes them).
/// </summary>
internal sealed class W3ProcessCommand : IBenchCommand
{
    public string Name => "w3-process";

    public string Usage => $"[--count N=200] [--warmup N=10 (at least; more until the JIT is quiet)] [--poll-ms MS=2] {SampleImage.Usage} [--entrypoint FILE] [--instance-socket on|off (default on: instances reach the core on its Unix socket; off: TLS/TCP)] [--runner process|oci (default process)] [--warm N=0 (warm containers (oci) or warm processes (process) kept for the image, docs/environment.md \"Warm containers\", \"Warm processes\"; the image must read the launch file)] [--data DIR=./bench-data]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, arguments.GetInt("count", 200));
        var warmup = arguments.GetInt("warmup", 10);
        var poll = TimeSpan.FromMilliseconds(Math.Max(1, arguments.GetInt("poll-ms", 2)));
        var image = arguments.GetString("image", string.Empty);
        var project = arguments.GetString("project", string.Empty);
        var publish = SampleImage.ParsePublishMode(arguments.GetString("publish", "aot"));
        var entrypoint = arguments.GetString("entrypoint", string.Empty);
        var instanceSocket = arguments.GetSwitch("instance-socket", true);
        var runner = arguments.GetString("runner", "process") switch
        {
            "process" => "Process",
            "oci" => "Oci",
            var other => throw new ArgumentException($"--runner must be process or oci, not '{other}'"),
        };
        var warm = Math.Max(0, arguments.GetInt("warm", 0));
        var data = Path.Combine(arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data")), $"w3-process-{Guid.NewGuid():N}");
        arguments.EnsureAllRead();

        var (imagePath, imageDescription) = await SampleImage.ResolveAsync(image, project, publish, data, cancellationToken);
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
            ["Runtara:Environment:CoreInstanceSocket"] = instanceSocket ? endpoints.InstanceSocket : null,
            ["Runtara:Environment:CoreTls:PinnedCertificatePath"] = endpoints.CertificatePath,
            ["Runtara:Environment:InstanceHeartbeatIntervalMs"] = "0",
            ["Runtara:Environment:Security:KeyFile"] = Path.Combine(coreData, "security", "runtara.keys"),
            ["Runtara:Environment:Runner"] = runner,
            ["Runtara:Environment:Oci:WarmContainers"] = runner == "Oci" ? warm.ToString(CultureInfo.InvariantCulture) : "0",
            ["Runtara:Environment:WarmProcesses"] = runner == "Oci" ? "0" : warm.ToString(CultureInfo.InvariantCulture),
        }, b => b.AddRuntaraEnvironment());
        await environment.StartAsync(cancellationToken);
        var port = EnvironmentEndpoints.TryRead(envData)?.Port ?? throw new InvalidOperationException("The environment did not write its endpoints file.");

        try
        {
            await using var client = BenchCredentials.EnvironmentClient(envData, port, "bench");
            var registration = new RegisterImageOptions { Name = "w3-one-step", Entrypoint = string.IsNullOrEmpty(entrypoint) ? null : entrypoint };
            var imageId = File.Exists(imagePath)
                ? await client.RegisterImageFromFileAsync(imagePath, registration, cancellationToken: cancellationToken)
                : await client.RegisterImageFromDirectoryAsync(imagePath, registration, cancellationToken: cancellationToken);
            var run = Guid.NewGuid().ToString("N")[..8];

            // Both pools count their hand-overs; only the runner's own is ever used.
            long HandOvers() => environment.Services.GetRequiredService<OciWarmPool>().HandOvers + environment.Services.GetRequiredService<WarmProcesses>().HandOvers;

            // Starts run one at a time, so a hand-over during a start was that start's: warm and cold apart.
            var startCall = new List<double>();
            var (warmStarts, coldStarts) = (new List<double>(), new List<double>());
            async Task OneAsync(string phase, int index, CancellationToken token)
            {
                var began = Stopwatch.GetTimestamp();
                var handOvers = HandOvers();
                await StartAndWaitAsync(phase, index, token);
                if (phase == "run")
                {
                    (HandOvers() > handOvers ? warmStarts : coldStarts).Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                }
            }

            async Task StartAndWaitAsync(string phase, int index, CancellationToken token)
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

            var handOversBefore = HandOvers();
            var (recorder, elapsed) = await LatencyRecorder.RunAsync(1, count, (_, index, token) => OneAsync("run", index, token), cancellationToken);
            var warmLaunches = HandOvers() - handOversBefore;
            recorder.Summarize(elapsed).Print(
                "Runtara w3-process: start a one-step image as a real process until its result is readable",
                [
                    ("instances", count.ToString(CultureInfo.InvariantCulture)),
                    ("image", imageDescription),
                    ("runner", runner.ToLowerInvariant()),
                    (runner == "Oci" ? "warm containers" : "warm processes", warm == 0 ? "off" : string.Create(CultureInfo.InvariantCulture, $"{warm} kept; {warmLaunches} of {count} launches warm")),
                    ("storage", "sqlite (core and environment)"),
                    ("transport", instanceSocket && endpoints.InstanceSocket is not null ? "tcp (environment), unix socket (instances)" : "tcp"),
                    ("status poll", $"{poll.TotalMilliseconds:0} ms"),
                    ("p50 of warm / cold starts", warm == 0 ? "-" : $"{Median(warmStarts)} ({warmStarts.Count}) / {Median(coldStarts)} ({coldStarts.Count})"),
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
            SampleImage.DeleteData(data);
        }
    }

    private static string Median(List<double> milliseconds) =>
        milliseconds.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{milliseconds.Order().ElementAt(milliseconds.Count / 2):0.0} ms");

    private static IHost Build(Dictionary<string, string?> settings, Action<HostApplicationBuilder> add)
    {
        var builder = ServiceHost.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        add(builder);
        return builder.Build();
    }
}

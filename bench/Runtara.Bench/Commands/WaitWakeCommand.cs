using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Runtara.Bench.Infrastructure;
using Runtara.Core.Hosting;
using Runtara.Environment.Hosting;
using Runtara.Management;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;
using CoreApi = Runtara.Protocol.Management;

namespace Runtara.Bench.Commands;

/// <summary>
/// <c>wait-wake</c> (issue 14): N instances of the native AOT sample wait durably for a signal — the
/// core suspends them after a zero grace period and their processes exit — then N signals are sent
/// through the environment and each is timed from its send to its instance's COMPLETED (the core's
/// finished time, same clock). Core and environment run as their own processes (JIT, from the
/// assemblies next to the benchmark) so their resident memory can be read while the N wait.
/// </summary>
internal sealed class WaitWakeCommand : IBenchCommand
{
    private const string Tenant = "bench";
    private const string SignalName = "approve";

    public string Name => "wait-wake";

    public string Usage => $"[--instances N=1000] [--rate SIGNALS_PER_S (default 0: as fast as --senders go)] [--senders N=8] [--start-concurrency N=8] [--wake-batch N=100 (Runtara:Environment:WakeBatchSize)] [--long-poll-ms MS (default: the environment's, 20 s)] [--poll-ms MS=100] [--stall-s S=120] {SampleImage.Usage} [--entrypoint FILE] [--instance-socket on|off (default on: instances reach the core on its Unix socket; off: TLS/TCP)] [--data DIR=./bench-data]";

    public async Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, arguments.GetInt("instances", 1000));
        var rate = arguments.GetInt("rate", 0);
        var senders = Math.Max(1, arguments.GetInt("senders", 8));
        var startConcurrency = Math.Max(1, arguments.GetInt("start-concurrency", 8));
        var wakeBatch = Math.Max(1, arguments.GetInt("wake-batch", 100));
        var longPollMs = arguments.GetString("long-poll-ms", string.Empty);
        var poll = TimeSpan.FromMilliseconds(Math.Max(1, arguments.GetInt("poll-ms", 100)));
        var stall = TimeSpan.FromSeconds(Math.Max(1, arguments.GetInt("stall-s", 120)));
        var image = arguments.GetString("image", string.Empty);
        var project = arguments.GetString("project", string.Empty);
        var publish = SampleImage.ParsePublishMode(arguments.GetString("publish", "aot"));
        var entrypoint = arguments.GetString("entrypoint", string.Empty);
        var instanceSocket = arguments.GetSwitch("instance-socket", true);
        var data = Path.GetFullPath(Path.Combine(arguments.GetString("data", Path.Combine(Directory.GetCurrentDirectory(), "bench-data")), $"wait-wake-{Guid.NewGuid():N}"));
        arguments.EnsureAllRead();
        if (!string.IsNullOrEmpty(longPollMs) && !int.TryParse(longPollMs, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            throw new ArgumentException($"--long-poll-ms must be a whole number, got '{longPollMs}'.");
        }

        var (imagePath, imageDescription) = await SampleImage.ResolveAsync(image, project, publish, data, cancellationToken);
        // The instances' processes are counted by their executable's name.
        var executable = string.IsNullOrEmpty(entrypoint) ? SampleImage.DefaultEntrypoint : Path.GetFileNameWithoutExtension(entrypoint);
        var coreData = Path.Combine(data, "core");
        var envData = Path.Combine(data, "env");
        var coreProcess = await CoreProcess.StartAsync(coreData, new Dictionary<string, string>(), cancellationToken);
        var (core, endpoints) = (coreProcess.Server, coreProcess.Endpoints);
        var environmentSettings = new Dictionary<string, string>
        {
            ["Runtara:Environment:Port"] = "0",
            ["Runtara:Environment:Transport"] = "Tcp",
            ["Runtara:Environment:DataDirectory"] = envData,
            ["Runtara:Environment:CoreAddress"] = $"127.0.0.1:{endpoints.ManagementPort}",
            ["Runtara:Environment:CoreInstanceAddress"] = $"127.0.0.1:{endpoints.InstancePort}",
            ["Runtara:Environment:CoreTls:PinnedCertificatePath"] = endpoints.CertificatePath ?? throw new InvalidOperationException("The core has no development certificate."),
            ["Runtara:Environment:InstanceHeartbeatIntervalMs"] = "0",
            ["Runtara:Environment:Security:KeyFile"] = Path.Combine(coreData, "security", "runtara.keys"),
            // Every instance suspends at its wait at once: the processes exit and nothing holds them.
            ["Runtara:Environment:InstanceWaitGracePeriod"] = "00:00:00",
            ["Runtara:Environment:WakeBatchSize"] = wakeBatch.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (instanceSocket && endpoints.InstanceSocket is { } socket)
        {
            environmentSettings["Runtara:Environment:CoreInstanceSocket"] = socket;
        }

        if (!string.IsNullOrEmpty(longPollMs))
        {
            environmentSettings["Runtara:Environment:WakeLongPoll"] = TimeSpan.FromMilliseconds(int.Parse(longPollMs, CultureInfo.InvariantCulture)).ToString("c", CultureInfo.InvariantCulture);
        }

        ServerProcess environment;
        EnvironmentEndpoints envEndpoints;
        try
        {
            (environment, envEndpoints) = await ServerProcess.StartAsync("Runtara.Environment", envData, environmentSettings, () => EnvironmentEndpoints.TryRead(envData), cancellationToken);
        }
        catch
        {
            await core.DisposeAsync();
            throw;
        }

        try
        {
            await using var client = BenchCredentials.EnvironmentClient(envData, envEndpoints.Port, Tenant);
            // Statuses and finished times straight from the core: the environment is what is measured.
            await using var coreClient = new RpcClient<CoreApi.RpcRequest, CoreApi.RpcResponse>(new RpcClientOptions
            {
                Address = $"127.0.0.1:{endpoints.ManagementPort}",
                Transport = TransportKind.Tcp,
                Tls = new ClientTlsOptions { PinnedCertificatePath = endpoints.CertificatePath },
                CredentialProvider = () => BenchCredentials.ServiceToken(coreData),
            });

            var registration = new RegisterImageOptions { Name = "wait-wake-quote", Entrypoint = string.IsNullOrEmpty(entrypoint) ? null : entrypoint };
            var imageId = File.Exists(imagePath)
                ? await client.RegisterImageFromFileAsync(imagePath, registration, cancellationToken: cancellationToken)
                : await client.RegisterImageFromDirectoryAsync(imagePath, registration, cancellationToken: cancellationToken);
            var run = Guid.NewGuid().ToString("N")[..8];
            var ids = Enumerable.Range(0, count).Select(i => $"ww-{run}-{i}").ToArray();

            // Phase 1: start N and wait until the core has suspended every one.
            Console.WriteLine($"starting {count} instances ({startConcurrency} at a time)…");
            var input = JsonSerializer.Serialize(new WaitWakeInput("sku-1", 1, SignalName), WaitWakeJson.Default.WaitWakeInput);
            var startPhase = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = startConcurrency, CancellationToken = cancellationToken }, async (id, token) =>
            {
                await client.StartInstanceAsync(new StartInstanceOptions { ImageId = imageId, InstanceId = id, Input = input }, token);
            });
            var startCalls = Stopwatch.GetElapsedTime(startPhase);
            await WaitForStatusAsync(coreClient, CoreApi.InstanceStatus.StatusSuspended, count, poll, stall, cancellationToken);
            var suspendPhase = Stopwatch.GetElapsedTime(startPhase);

            // The processes exit just after the core suspends them: give them a moment, then count.
            var exitWait = Stopwatch.GetTimestamp();
            var processesWaiting = ProcFs.CountProcesses(executable);
            while (processesWaiting > 0 && Stopwatch.GetElapsedTime(exitWait) < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100, cancellationToken);
                processesWaiting = ProcFs.CountProcesses(executable);
            }

            var exitDelay = Stopwatch.GetElapsedTime(exitWait);
            var envRssWaiting = ProcFs.ResidentBytes(environment.Id);
            var coreRssWaiting = ProcFs.ResidentBytes(core.Id);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"all {count} suspended after {suspendPhase.TotalSeconds:0.0} s; instance processes: {processesWaiting}; sending signals…"));

            // Phase 2: N signals, each timed from just before its send to its instance's finished time at the core.
            var sentAtMs = new double[count];
            var sendCallMs = new double[count];
            var peakProcesses = 0;
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakProcesses = Math.Max(peakProcesses, ProcFs.CountProcesses(executable));
                    await Task.Delay(250, CancellationToken.None);
                }
            }, CancellationToken.None);

            async Task SendAsync(int index, CancellationToken token)
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(new WaitWakeApproval(Approver(index)), WaitWakeJson.Default.WaitWakeApproval);
                sentAtMs[index] = NowUnixMs();
                var began = Stopwatch.GetTimestamp();
                await client.SendCustomSignalAsync(ids[index], SignalName, payload, cancellationToken: token);
                sendCallMs[index] = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
            }

            var loadBefore = ProcFs.LoadAverage();
            var envCpuBefore = ProcFs.CpuTime(environment.Id);
            var coreCpuBefore = ProcFs.CpuTime(core.Id);
            var signalPhase = Stopwatch.GetTimestamp();
            var sending = rate > 0 ? SendPacedAsync(count, rate, SendAsync, cancellationToken) : SendFreelyAsync(count, senders, SendAsync, cancellationToken);
            var finishedAt = await WaitForCompletionsAsync(coreClient, ids, sending, poll, stall, cancellationToken);
            var signalling = Stopwatch.GetElapsedTime(signalPhase);
            await sending;
            var loadAfter = ProcFs.LoadAverage();
            var envCpuAfter = ProcFs.CpuTime(environment.Id);
            var coreCpuAfter = ProcFs.CpuTime(core.Id);
            // CPU per wake over the signalling phase: environment, core, and the instance processes (which the environment reaps).
            string PerWake(Func<TimeSpan?> used) => used() is { } cpu ? string.Create(CultureInfo.InvariantCulture, $"{cpu.TotalMilliseconds / count:0.0}") : "?";
            var cpuPerWake = $"{PerWake(() => envCpuAfter?.Self - envCpuBefore?.Self)} / {PerWake(() => coreCpuAfter?.Self - coreCpuBefore?.Self)} / {PerWake(() => envCpuAfter?.Children - envCpuBefore?.Children)}";
            await sampling.CancelAsync();
            await sampler;
            var envRssEnd = ProcFs.ResidentBytes(environment.Id);
            var coreRssEnd = ProcFs.ResidentBytes(core.Id);
            var registeredAt = await VerifyOutputsAsync(coreClient, ids, cancellationToken);
            // Where the time goes: signal → the relaunched process registered (wake + process start + connect), then → COMPLETED (replay, wait outcome, end).
            var toRegisteredMs = registeredAt.Select((at, i) => at - sentAtMs[i]).Order().ToArray();
            var registeredToDoneMs = ids.Select((id, i) => finishedAt[id] - registeredAt[i]).Order().ToArray();

            var latenciesUs = ids.Select((id, i) => (finishedAt[id] - sentAtMs[i]) * 1000).Order().ToArray();
            var firstSent = sentAtMs.Min();
            var window = TimeSpan.FromMilliseconds(finishedAt.Values.Max() - firstSent);
            var sendSpan = TimeSpan.FromMilliseconds(sentAtMs.Max() - firstSent);
            new LatencySummary(
                count,
                window,
                Percentile(latenciesUs, 0.50),
                Percentile(latenciesUs, 0.90),
                Percentile(latenciesUs, 0.99),
                latenciesUs[^1],
                count / window.TotalSeconds).Print(
                "Runtara wait-wake: N instances suspended on a signal (no process), then signalled; signal sent → COMPLETED at the core",
                [
                    ("instances", count.ToString(CultureInfo.InvariantCulture)),
                    ("completed (output checked)", count.ToString(CultureInfo.InvariantCulture)),
                    ("image", imageDescription),
                    ("core, environment", $"own processes (JIT), sqlite, tcp; instances {(instanceSocket && endpoints.InstanceSocket is not null ? "unix socket" : "tcp")}"),
                    ("wait grace, wake batch, long poll", $"0 s, {wakeBatch}, {(string.IsNullOrEmpty(longPollMs) ? "20 s (default)" : longPollMs + " ms")}"),
                    ("starts (concurrency)", string.Create(CultureInfo.InvariantCulture, $"{startCalls.TotalSeconds:0.0} s ({startConcurrency})")),
                    ("start → all suspended", string.Create(CultureInfo.InvariantCulture, $"{suspendPhase.TotalSeconds:0.0} s")),
                    ("processes while waiting", string.Create(CultureInfo.InvariantCulture, $"{processesWaiting} (counted {exitDelay.TotalSeconds:0.0} s after all suspended)")),
                    ("env RSS MiB (waiting)", Mib(envRssWaiting)),
                    ("core RSS MiB (waiting)", Mib(coreRssWaiting)),
                    ("env / core RSS MiB (end)", $"{Mib(envRssEnd)} / {Mib(coreRssEnd)}"),
                    ("signal rate", rate > 0 ? $"{rate} /s (paced)" : $"unpaced ({senders} senders)"),
                    ("signals sent in", string.Create(CultureInfo.InvariantCulture, $"{sendSpan.TotalSeconds:0.00} s ({count / Math.Max(sendSpan.TotalSeconds, 0.001):0} /s)")),
                    ("SendCustomSignal call p50", string.Create(CultureInfo.InvariantCulture, $"{Percentile(sendCallMs.Order().ToArray(), 0.5):0.0} ms")),
                    ("signal → relaunch registered p50 / p99", string.Create(CultureInfo.InvariantCulture, $"{Percentile(toRegisteredMs, 0.5):0} / {Percentile(toRegisteredMs, 0.99):0} ms")),
                    ("registered → COMPLETED p50 / p99", string.Create(CultureInfo.InvariantCulture, $"{Percentile(registeredToDoneMs, 0.5):0} / {Percentile(registeredToDoneMs, 0.99):0} ms")),
                    ("CPU ms per wake: env / core / instance", cpuPerWake),
                    ("peak instance processes (waking)", peakProcesses.ToString(CultureInfo.InvariantCulture)),
                    ("signalling phase (bench clock)", string.Create(CultureInfo.InvariantCulture, $"{signalling.TotalSeconds:0.0} s")),
                    ("processors", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                    ("load average (1 min) signalling", $"{loadBefore} → {loadAfter}"),
                ]);
            return processesWaiting == 0 ? 0 : 1;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"--- end of the environment's log ({environment.LogPath}):\n{environment.LogTail()}");
            Console.Error.WriteLine($"--- end of the core's log ({core.LogPath}):\n{core.LogTail()}");
            throw;
        }
        finally
        {
            await environment.DisposeAsync();
            await core.DisposeAsync();
            SampleImage.DeleteData(data);
        }
    }

    private static string Approver(int index) => $"approver-{index}";

    private static double NowUnixMs() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string Mib(long? bytes) => bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b / 1048576.0:0.0}") : "?";

    /// <summary>One signal every 1/<paramref name="rate"/> s, each sent without waiting for the previous one.</summary>
    private static async Task SendPacedAsync(int count, int rate, Func<int, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        var began = Stopwatch.GetTimestamp();
        var sends = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate) - Stopwatch.GetElapsedTime(began);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            sends.Add(send(i, cancellationToken));
        }

        await Task.WhenAll(sends);
    }

    /// <summary><paramref name="senders"/> loops that each send the next signal as soon as their previous call returned.</summary>
    private static Task SendFreelyAsync(int count, int senders, Func<int, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                await send(i, cancellationToken);
            }
        }, cancellationToken)));
    }

    /// <summary>How many of the tenant's instances the core has in <paramref name="status"/>.</summary>
    private static async Task<int> CountAsync(RpcClient<CoreApi.RpcRequest, CoreApi.RpcResponse> core, CoreApi.InstanceStatus status, CancellationToken cancellationToken) =>
        (int)(await core.CallAsync(new CoreApi.RpcRequest { ListInstances = new CoreApi.ListInstancesRequest { TenantId = Tenant, Status = status, Limit = 1 } }, cancellationToken)).ListInstances.TotalCount;

    /// <summary>Fails loudly, with the first errors, when any of the tenant's instances ended FAILED or CANCELLED.</summary>
    private static async Task ThrowIfAnyFailedAsync(RpcClient<CoreApi.RpcRequest, CoreApi.RpcResponse> core, CancellationToken cancellationToken)
    {
        foreach (var status in new[] { CoreApi.InstanceStatus.StatusFailed, CoreApi.InstanceStatus.StatusCancelled })
        {
            var page = (await core.CallAsync(new CoreApi.RpcRequest { ListInstances = new CoreApi.ListInstancesRequest { TenantId = Tenant, Status = status, Limit = 5 } }, cancellationToken)).ListInstances;
            if (page.TotalCount > 0)
            {
                var errors = new List<string>();
                foreach (var instance in page.Instances)
                {
                    var detail = (await core.CallAsync(new CoreApi.RpcRequest { GetInstanceStatus = new CoreApi.GetInstanceStatusRequest { InstanceId = instance.InstanceId } }, cancellationToken)).GetInstanceStatus;
                    errors.Add($"{instance.InstanceId}: {detail.Error}");
                }

                throw new InvalidOperationException($"{page.TotalCount} instance(s) ended {status}; e.g.\n{string.Join('\n', errors)}");
            }
        }
    }

    /// <summary>Polls the core until <paramref name="expected"/> instances are in <paramref name="status"/>; fails when one fails or nothing moves for <paramref name="stall"/>.</summary>
    private static async Task WaitForStatusAsync(RpcClient<CoreApi.RpcRequest, CoreApi.RpcResponse> core, CoreApi.InstanceStatus status, int expected, TimeSpan poll, TimeSpan stall, CancellationToken cancellationToken)
    {
        var last = -1;
        var moved = Stopwatch.GetTimestamp();
        while (true)
        {
            var reached = await CountAsync(core, status, cancellationToken);
            if (reached >= expected)
            {
                return;
            }

            await ThrowIfAnyFailedAsync(core, cancellationToken);
            if (reached != last)
            {
                (last, moved) = (reached, Stopwatch.GetTimestamp());
            }
            else if (Stopwatch.GetElapsedTime(moved) > stall)
            {
                throw new InvalidOperationException($"Only {reached} of {expected} instances reached {status}, none more in {stall.TotalSeconds:0} s.");
            }

            await Task.Delay(poll, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until every instance is COMPLETED (polling the core's count, which costs it one query),
    /// then reads each one's finished time. Fails when <paramref name="sending"/> fails, an instance
    /// fails, or no instance completes for <paramref name="stall"/>.
    /// </summary>
    private static async Task<Dictionary<string, double>> WaitForCompletionsAsync(
        RpcClient<CoreApi.RpcRequest, CoreApi.RpcResponse> core, string[] ids, Task sending, TimeSpan poll, TimeSpan stall, CancellationToken cancellationToken)
    {
        var last = -1;
        var moved = Stopwatch.GetTimestamp();
        while (true)
        {
            if (sending.IsFaulted)
            {
                await sending;
            }

            var completed = await CountAsync(core, CoreApi.InstanceStatus.StatusCompleted, cancellationToken);
            if (completed >= ids.Length)
            {
                break;
            }

            await ThrowIfAnyFailedAsync(core, cancellationToken);
            if (completed != last)
            {
                (last, moved) = (completed, Stopwatch.GetTimestamp());
            }
            else if (Stopwatch.GetElapsedTime(moved) > stall)
            {
                var suspended = await CountAsync(core, CoreApi.InstanceStatus.StatusSuspended, cancellationToken);
                var running = await CountAsync(core, CoreApi.InstanceStatus.StatusRunning, cancellationToken);
                throw new InvalidOperationException($"Only {completed} of {ids.Length} instances COMPLETED ({suspended} SUSPENDED, {running} RUNNING), none more in {stall.TotalSeconds:0} s.");
            }

            await Task.Delay(poll, cancellationToken);
        }

        var finished = new Dictionary<string, double>(ids.Length, StringComparer.Ordinal);
        const int page = 1000;
        for (var offset = 0; finished.Count < ids.Length; offset += page)
        {
            var list = (await core.CallAsync(new CoreApi.RpcRequest { ListInstances = new CoreApi.ListInstancesRequest { TenantId = Tenant, Status = CoreApi.InstanceStatus.StatusCompleted, Limit = page, Offset = (uint)offset } }, cancellationToken)).ListInstances;
            foreach (var instance in list.Instances)
            {
                finished[instance.InstanceId] = instance.HasFinishedAtMs ? instance.FinishedAtMs : throw new InvalidOperationException($"{instance.InstanceId} is COMPLETED without a finished time.");
            }

            if (list.Instances.Count == 0)
            {
                break;
            }
        }

        var missing = ids.Where(id => !finished.ContainsKey(id)).Take(5).ToList();
        return missing.Count == 0 ? finished : throw new InvalidOperationException($"Not listed as COMPLETED: {string.Join(", ", missing)}");
    }

    /// <summary>
    /// Every output must carry the approver its own signal named: the payload reached the right
    /// instance, once. Returns when each instance's last process registered (its last "started" event, core clock).
    /// </summary>
    private static async Task<double[]> VerifyOutputsAsync(RpcClient<CoreApi.RpcRequest, CoreApi.RpcResponse> core, string[] ids, CancellationToken cancellationToken)
    {
        var wrong = new ConcurrentQueue<string>();
        var registered = new double[ids.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, ids.Length), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (index, token) =>
        {
            var status = (await core.CallAsync(new CoreApi.RpcRequest { GetInstanceStatus = new CoreApi.GetInstanceStatusRequest { InstanceId = ids[index] } }, token)).GetInstanceStatus;
            var output = status.HasOutput ? JsonSerializer.Deserialize(status.Output.Span, WaitWakeJson.Default.WaitWakeOutput) : null;
            if (output?.ApprovedBy != Approver(index))
            {
                wrong.Enqueue($"{ids[index]}: approvedBy={output?.ApprovedBy ?? "(none)"}");
            }

            var started = (await core.CallAsync(new CoreApi.RpcRequest { ListEvents = new CoreApi.ListEventsRequest { InstanceId = ids[index], EventType = "started", Limit = 100 } }, token)).ListEvents;
            registered[index] = started.Events.Count > 0 ? started.Events.Max(e => e.CreatedAtMs) : double.NaN;
        });
        if (!wrong.IsEmpty)
        {
            throw new InvalidOperationException($"{wrong.Count} output(s) without their own approver, e.g. {string.Join("; ", wrong.Take(5))}");
        }

        return registered;
    }
}

/// <summary>The sample's input (samples/Runtara.Samples.NativeAot QuoteRequest) with its opt-in wait.</summary>
internal sealed record WaitWakeInput(string Sku, int Quantity, string WaitFor);

/// <summary>The signal's payload (the sample's Approval).</summary>
internal sealed record WaitWakeApproval(string By);

/// <summary>The part of the sample's output the benchmark checks.</summary>
internal sealed record WaitWakeOutput(string? ApprovedBy);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WaitWakeInput))]
[JsonSerializable(typeof(WaitWakeApproval))]
[JsonSerializable(typeof(WaitWakeOutput))]
internal sealed partial class WaitWakeJson : JsonSerializerContext;

using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

// A process the hostile modes leave behind (re-exec of this program: there is no shell in a container):
// a session of its own, deaf to SIGTERM and SIGHUP, sleeping until killed. "marker" names it in /proc/<pid>/cmdline.
if (args is ["--linger", var lingerMarker])
{
    var session = Native.Setsid();
    using var lingerTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
    using var lingerHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => context.Cancel = true);
    Console.WriteLine($"lingering {lingerMarker} as pid {Environment.ProcessId} (setsid {session})");
    // Tells the parent it is up (deaf to SIGTERM now): a file in the run's workspace, which it inherits.
    File.WriteAllText(Path.Combine(Environment.GetEnvironmentVariable("RUNTARA_WORKSPACE_DIR") ?? Path.GetTempPath(), lingerMarker), $"{Environment.ProcessId}");
    await Task.Delay(Timeout.Infinite);
    return 0;
}

var clock = System.Diagnostics.Stopwatch.StartNew();
var sinceStart = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;

// Modes (input "mode"): complete (default), fail, crash, sleep, wait_signal, hang, ignore_term, busy, custom_signal, env, retry, probe, link,
// and for the OCI runner's sandbox: sandbox (what it may see and do), memory_hog, threads;
// hostile (Security/HostileInstanceTests): tenant (another tenant's instance with its own token), bomb (processes, then threads),
// outlive (a detached child deaf to SIGTERM, then "then": hang | complete); spin (busy threads, CPU time used).
// A warm OCI container learns its run's variables from the launch file (docs/instance-contract.md).
Runtara.Protocol.Contracts.LaunchFile.ApplyToProcessEnvironment();
var instanceId = Environment.GetEnvironmentVariable("RUNTARA_INSTANCE_ID") ?? throw new InvalidOperationException("RUNTARA_INSTANCE_ID is required");
var tenantId = Environment.GetEnvironmentVariable("RUNTARA_TENANT_ID") ?? throw new InvalidOperationException("RUNTARA_TENANT_ID is required");
var checkpointFromLaunch = Environment.GetEnvironmentVariable("RUNTARA_CHECKPOINT_ID");
var outputPath = Environment.GetEnvironmentVariable("RUNTARA_OUTPUT_PATH");
var inputPath = Environment.GetEnvironmentVariable("RUNTARA_INPUT_PATH");

await using var client = new RpcClient<RpcRequest, RpcResponse>(new RpcClientOptions
{
    Address = Environment.GetEnvironmentVariable("RUNTARA_SERVER_ADDR") ?? "127.0.0.1:8001",
    Transport = Enum.TryParse<TransportKind>(Environment.GetEnvironmentVariable("RUNTARA_TRANSPORT"), true, out var transport) ? transport : TransportKind.Auto,
    MaxConnections = 2,
    // The token the environment minted for this instance (docs/security.md).
    CredentialProvider = Environment.GetEnvironmentVariable("RUNTARA_INSTANCE_TOKEN") is { } token ? () => token : null,
    Tls = new ClientTlsOptions
    {
        PinnedCertificatePath = Environment.GetEnvironmentVariable("RUNTARA_TLS_PINNED_CERT"),
        CaCertificatePath = Environment.GetEnvironmentVariable("RUNTARA_TLS_CA_CERT"),
        ServerName = Environment.GetEnvironmentVariable("RUNTARA_SERVER_NAME"),
        DangerousSkipCertificateVerification = Environment.GetEnvironmentVariable("RUNTARA_SKIP_CERT_VERIFICATION") is "true" or "1",
    },
});

// The input is read after the client is built: building it with certificate verification on starts
// loading the system certificate store in the background (CertificateValidation.WarmChainBuilding),
// so that load overlaps this read instead of starting later.
var input = inputPath is not null && File.Exists(inputPath) ? JsonNode.Parse(File.ReadAllText(inputPath)) as JsonObject ?? [] : [];
var mode = input["mode"]?.GetValue<string>() ?? "complete";
var clientReady = clock.ElapsedMilliseconds;
var register = new RegisterInstanceRequest { InstanceId = instanceId, TenantId = tenantId };
if (!string.IsNullOrEmpty(checkpointFromLaunch))
{
    register.CheckpointId = checkpointFromLaunch;
}

var registered = await client.CallAsync(new RpcRequest { RegisterInstance = register });
if (!registered.RegisterInstance.Success)
{
    Console.Error.WriteLine($"registration failed: {registered.RegisterInstance.Error}");
    return 2;
}

Console.WriteLine($"registered {instanceId} mode={mode} checkpoint={checkpointFromLaunch} (main after {sinceStart.TotalMilliseconds:0} ms, client ready after {clientReady} ms, registered after {clock.ElapsedMilliseconds} ms)");

switch (mode)
{
    case "fail":
        Console.Error.WriteLine("failing on purpose");
        await EventAsync(InstanceEventType.EventFailed, "failed on purpose");
        WriteOutput(new JsonObject { ["status"] = "failed", ["error"] = "failed on purpose" });
        return 1;

    case "crash":
        await CheckpointAsync("step-1", "{}");
        Console.Error.WriteLine("crashing without reporting a result");
        return input["exit_code"]?.GetValue<int>() ?? 3;

    case "env":
        return await CompleteAsync(new JsonObject
        {
            ["instance_id"] = Environment.GetEnvironmentVariable("RUNTARA_INSTANCE_ID"),
            ["tenant_id"] = Environment.GetEnvironmentVariable("RUNTARA_TENANT_ID"),
            ["custom"] = Environment.GetEnvironmentVariable("CUSTOM_VAR"),
            ["workspace"] = Environment.GetEnvironmentVariable("RUNTARA_WORKSPACE_DIR"),
        });

    case "probe":
        // What this process may do (docs/security.md): its user, reading ("read") and listing ("list")
        // other paths, writing into its workspace, and every environment variable it was given.
        return await CompleteAsync(new JsonObject
        {
            ["uid"] = ProcStatusId("Uid:"),
            ["gid"] = ProcStatusId("Gid:"),
            ["groups"] = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Groups:", StringComparison.Ordinal))["Groups:".Length..].Trim(),
            ["home"] = Environment.GetEnvironmentVariable("HOME"),
            ["read"] = Probe(input["read"], path => File.ReadAllBytes(path)),
            ["list"] = Probe(input["list"], path => Directory.GetFileSystemEntries(path)),
            ["write"] = Probe(input["write"], path => File.WriteAllText(path, "written by an instance")),
            ["workspace_write"] = Attempt(() => File.WriteAllText(Path.Combine(Environment.GetEnvironmentVariable("RUNTARA_WORKSPACE_DIR")!, "probe.txt"), "mine")),
            ["variables"] = new JsonObject(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(e => KeyValuePair.Create((string)e.Key, (JsonNode?)JsonValue.Create((string?)e.Value)))),
        });

    case "link":
        // Leaves links to "target" where the environment reads this run's output and stdout, and a FIFO
        // as stderr.log, then exits without a result: the environment must neither read the target
        // through them nor block on the FIFO (reading the stderr tail, opening the logs of the next launch).
        {
            var target = input["target"]!.GetValue<string>();
            var runDirectory = Path.GetDirectoryName(outputPath)!;
            foreach (var name in new[] { "output.json", "stdout.log", "stderr.log" })
            {
                File.Delete(Path.Combine(runDirectory, name));
            }

            File.CreateSymbolicLink(Path.Combine(runDirectory, "output.json"), target);
            File.CreateSymbolicLink(Path.Combine(runDirectory, "stdout.log"), target);
            using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(runDirectory, "stderr.log")))
            {
                mkfifo.WaitForExit();
            }

            return 4;
        }

    case "sleep":
        {
            await CheckpointAsync("before-sleep", "{}");
            var sleep = await client.CallAsync(new RpcRequest
            {
                Sleep = new SleepRequest { InstanceId = instanceId, CheckpointId = "sleep-1", DurationMs = input["sleep_ms"]?.GetValue<ulong>() ?? 1000, State = ByteString.CopyFromUtf8("{}") },
            });
            if (sleep.Sleep.Suspended)
            {
                WriteOutput(new JsonObject { ["status"] = "sleeping", ["checkpoint_id"] = "sleep-1", ["wake_after_ms"] = Math.Max(0, sleep.Sleep.WakeAtMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) });
                return 0;
            }

            return await CompleteAsync(new JsonObject { ["woke"] = true, ["launch_checkpoint"] = checkpointFromLaunch });
        }

    case "wait_signal":
        {
            if (!string.IsNullOrEmpty(checkpointFromLaunch))
            {
                return await CompleteAsync(new JsonObject { ["resumed"] = true, ["from"] = checkpointFromLaunch });
            }

            for (var i = 0; ; i++)
            {
                var checkpoint = await client.CallAsync(new RpcRequest
                {
                    Checkpoint = new CheckpointRequest { InstanceId = instanceId, CheckpointId = $"loop-{i}", State = ByteString.CopyFromUtf8($"{{\"i\":{i}}}") },
                });
                if (checkpoint.Checkpoint.PendingSignal is { } signal)
                {
                    await client.SendAsync(new RpcRequest { SignalAck = new SignalAck { InstanceId = instanceId, SignalType = signal.SignalType, Acknowledged = true } });
                    if (signal.SignalType == SignalType.SignalCancel)
                    {
                        WriteOutput(new JsonObject { ["status"] = "cancelled" });
                        return 0;
                    }

                    if (signal.SignalType == SignalType.SignalPause)
                    {
                        await EventAsync(InstanceEventType.EventSuspended, string.Empty, $"loop-{i}");
                        WriteOutput(new JsonObject { ["status"] = "suspended", ["checkpoint_id"] = $"loop-{i}" });
                        return 0;
                    }
                }

                await Task.Delay(50);
            }
        }

    case "custom_signal":
        while (true)
        {
            var checkpoint = await client.CallAsync(new RpcRequest
            {
                Checkpoint = new CheckpointRequest { InstanceId = instanceId, CheckpointId = "wait-input", State = ByteString.CopyFromUtf8("{}") },
            });
            if (checkpoint.Checkpoint.CustomSignal is { } custom)
            {
                return await CompleteAsync(new JsonObject { ["received"] = custom.Payload.ToStringUtf8() });
            }

            await Task.Delay(50);
        }

    case "sandbox":
        {
            // Tries what a contained instance must not do, and reports each outcome.
            var writes = new JsonObject();
            foreach (var path in new[] { "/app/probe", "/probe", "/etc/probe", "/usr/lib/probe", "/tmp/probe", Path.Combine(Environment.GetEnvironmentVariable("RUNTARA_WORKSPACE_DIR") ?? "/nonexistent", "probe") })
            {
                writes[path] = Try(() => File.WriteAllText(path, "x"));
            }

            var connects = new JsonObject();
            foreach (var target in (input["connect"] as JsonArray ?? []).Select(t => t!.GetValue<string>()))
            {
                var colon = target.LastIndexOf(':');
                connects[target] = Try(() =>
                {
                    using var tcp = new System.Net.Sockets.TcpClient();
                    if (!tcp.ConnectAsync(target[..colon], int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Wait(TimeSpan.FromSeconds(3)))
                    {
                        throw new TimeoutException("connect timed out");
                    }
                });
            }

            return await CompleteAsync(new JsonObject
            {
                ["uid"] = Native.GetEuid(),
                ["gid"] = Native.GetEgid(),
                ["writes"] = writes,
                ["connects"] = connects,
                ["interfaces"] = new JsonArray([.. System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Select(i => (JsonNode?)i.Name)]),
                ["server_addr"] = Environment.GetEnvironmentVariable("RUNTARA_SERVER_ADDR"),
                ["input_path"] = inputPath,
                ["output_path"] = outputPath,
            });
        }

    case "memory_hog":
        {
            // Native memory, touched page by page: the GC's own heap limit cannot stop this, only the cgroup's.
            var limit = (input["mb"]?.GetValue<int>() ?? 1024) * 1024L * 1024;
            const int chunk = 4 * 1024 * 1024;
            for (long total = 0; total < limit; total += chunk)
            {
                var block = Marshal.AllocHGlobal(chunk);
                for (var offset = 0; offset < chunk; offset += 4096)
                {
                    Marshal.WriteByte(block, offset, 1);
                }
            }

            return await CompleteAsync(new JsonObject { ["allocated_mb"] = limit / (1024 * 1024) });
        }

    case "threads":
        {
            // A bomb of threads (each one a task, as a forked process is): stopped by the pids limit.
            var max = input["max"]?.GetValue<int>() ?? 5000;
            var started = 0;
            string? stoppedBy = null;
            try
            {
                for (; started < max; started++)
                {
                    new Thread(() => Thread.Sleep(Timeout.Infinite), 64 * 1024) { IsBackground = true }.Start();
                }
            }
            catch (Exception ex) when (ex is OutOfMemoryException or ThreadStartException or System.ComponentModel.Win32Exception)
            {
                stoppedBy = ex.GetType().Name;
            }

            var result = await CompleteAsync(new JsonObject { ["threads"] = started, ["stopped_by"] = stoppedBy });
            Environment.Exit(result);
            return result;
        }

    case "spin":
        {
            // Busy threads for a wall-clock time; reports the CPU time the process got (/proc/self/stat, also inside a container).
            var wall = TimeSpan.FromMilliseconds(input["ms"]?.GetValue<int>() ?? 2000);
            var before = CpuSeconds();
            var spinning = System.Diagnostics.Stopwatch.StartNew();
            var spinners = Enumerable.Range(0, input["threads"]?.GetValue<int>() ?? 2).Select(_ => Task.Factory.StartNew(() =>
            {
                while (spinning.Elapsed < wall)
                {
                    Thread.SpinWait(1000);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(spinners);
            return await CompleteAsync(new JsonObject { ["wall_s"] = spinning.Elapsed.TotalSeconds, ["cpu_s"] = CpuSeconds() - before });
        }

    case "tenant":
        {
            // Its own token, another tenant's instance: every call must be refused (the core binds the token's instance and tenant).
            var victim = input["victim"]!.GetValue<string>();
            var victimTenant = input["victim_tenant"]?.GetValue<string>() ?? tenantId;
            var state = ByteString.CopyFromUtf8("{\"stolen\":true}");
            var calls = new JsonObject
            {
                ["RegisterInstance"] = await RefusedAsync(new RpcRequest { RegisterInstance = new RegisterInstanceRequest { InstanceId = victim, TenantId = victimTenant } }),
                ["GetCheckpoint"] = await RefusedAsync(new RpcRequest { GetCheckpoint = new GetCheckpointRequest { InstanceId = victim, CheckpointId = "wait-input" } }),
                ["Checkpoint"] = await RefusedAsync(new RpcRequest { Checkpoint = new CheckpointRequest { InstanceId = victim, CheckpointId = "planted", State = state } }),
                ["Sleep"] = await RefusedAsync(new RpcRequest { Sleep = new SleepRequest { InstanceId = victim, CheckpointId = "planted-sleep", DurationMs = 1000, State = state } }),
                ["InstanceEvent"] = await RefusedAsync(new RpcRequest
                {
                    InstanceEvent = new InstanceEvent { InstanceId = victim, EventType = InstanceEventType.EventCompleted, Payload = state, TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                }),
            };
            return await CompleteAsync(new JsonObject { ["calls"] = calls });
        }

    case "bomb":
        {
            // A fork bomb (copies of itself that never end), then a thread bomb: both stopped by the pids limit.
            var marker = input["marker"]?.GetValue<string>() ?? instanceId;
            var maxProcesses = input["processes"]?.GetValue<int>() ?? 16;
            var spawned = 0;
            string? spawnStoppedBy = null;
            for (; spawned < maxProcesses; spawned++)
            {
                try
                {
                    SpawnLinger(marker).Dispose();
                }
                catch (Exception ex)
                {
                    spawnStoppedBy = $"{ex.GetType().Name}: {ex.Message}";
                    break;
                }
            }

            var maxThreads = input["max"]?.GetValue<int>() ?? 5000;
            var threads = 0;
            string? threadsStoppedBy = null;
            try
            {
                for (; threads < maxThreads; threads++)
                {
                    new Thread(() => Thread.Sleep(Timeout.Infinite), 64 * 1024) { IsBackground = true }.Start();
                }
            }
            catch (Exception ex) when (ex is OutOfMemoryException or ThreadStartException or System.ComponentModel.Win32Exception)
            {
                threadsStoppedBy = ex.GetType().Name;
            }

            var bombed = await CompleteAsync(new JsonObject { ["processes"] = spawned, ["processes_stopped_by"] = spawnStoppedBy, ["threads"] = threads, ["stopped_by"] = threadsStoppedBy });
            Environment.Exit(bombed);
            return bombed;
        }

    case "outlive":
        {
            // A child in a session of its own that ignores SIGTERM: it must not survive the run (stop or exit).
            var marker = input["marker"]!.GetValue<string>();
            using (var child = SpawnLinger(marker))
            {
                var up = Path.Combine(Environment.GetEnvironmentVariable("RUNTARA_WORKSPACE_DIR")!, marker);
                for (var waited = 0; !File.Exists(up) && waited < 200; waited++)
                {
                    await Task.Delay(50);
                }

                await CheckpointAsync("spawned", $"{{\"pid\":{child.Id},\"up\":{(File.Exists(up) ? "true" : "false")}}}");
            }

            if (input["then"]?.GetValue<string>() == "complete")
            {
                return await CompleteAsync(new JsonObject { ["spawned"] = marker });
            }

            using var outliveTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
            await Task.Delay(Timeout.Infinite);
            return 0;
        }

    case "hang":
        // Registered, then silent: what the heartbeat monitor must catch.
        await Task.Delay(Timeout.Infinite);
        return 0;

    case "ignore_term":
        {
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
            Console.WriteLine("ignoring SIGTERM");
            await Task.Delay(Timeout.Infinite);
            return 0;
        }

    case "busy":
        // Active (heartbeats) but never finishing: what the execution timeout must catch.
        while (true)
        {
            await EventAsync(InstanceEventType.EventHeartbeat, string.Empty);
            await Task.Delay(100);
        }

    case "retry":
        // step-1 fails twice, recorded as the SDK does: before attempt n (n >= 2), attempt_number = n
        // with the previous attempt's error; the third attempt succeeds.
        for (var attempt = 2u; attempt <= 3; attempt++)
        {
            await client.SendAsync(new RpcRequest
            {
                RetryAttempt = new RetryAttemptEvent { InstanceId = instanceId, CheckpointId = "step-1", AttemptNumber = attempt, ErrorMessage = $"attempt {attempt - 1} failed", TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
            });
        }

        goto default;

    default:
        {
            var state = await CheckpointAsync("step-1", input.ToJsonString());
            return await CompleteAsync(new JsonObject { ["echo"] = input.DeepClone(), ["replayed"] = state });
        }
}

async Task<bool> CheckpointAsync(string checkpointId, string state)
{
    var response = await client.CallAsync(new RpcRequest
    {
        Checkpoint = new CheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId, State = ByteString.CopyFromUtf8(state) },
    });
    return response.Checkpoint.Found;
}

async Task EventAsync(InstanceEventType type, string payload, string? checkpointId = null)
{
    var instanceEvent = new InstanceEvent { InstanceId = instanceId, EventType = type, Payload = ByteString.CopyFromUtf8(payload), TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
    if (checkpointId is not null)
    {
        instanceEvent.CheckpointId = checkpointId;
    }

    await client.CallAsync(new RpcRequest { InstanceEvent = instanceEvent });
}

async Task<int> CompleteAsync(JsonNode result)
{
    var beforeComplete = clock.ElapsedMilliseconds;
    await EventAsync(InstanceEventType.EventCompleted, result.ToJsonString());
    Console.WriteLine($"completed: step done at {beforeComplete} ms, completed at {clock.ElapsedMilliseconds} ms");
    WriteOutput(new JsonObject { ["status"] = "completed", ["result"] = result.DeepClone() });
    return 0;
}

// Runs this program again as "--linger <marker>": through the dotnet host for a framework-dependent build.
static System.Diagnostics.Process SpawnLinger(string marker)
{
    var self = Environment.ProcessPath!;
    var start = new System.Diagnostics.ProcessStartInfo(self) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        start.ArgumentList.Add(typeof(Native).Assembly.Location);
    }

    start.ArgumentList.Add("--linger");
    start.ArgumentList.Add(marker);
    return System.Diagnostics.Process.Start(start)!;
}

// "accepted" when the call went through, else the refusal's text.
async Task<string> RefusedAsync(RpcRequest request)
{
    try
    {
        var response = await client.CallAsync(request);
        return $"accepted: {response}";
    }
    catch (Runtara.RpcException ex)
    {
        return $"{ex.Code}: {ex.Message}";
    }
}

// utime + stime of this process in seconds (USER_HZ = 100), read after the command name's closing parenthesis.
static double CpuSeconds()
{
    var stat = File.ReadAllText("/proc/self/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
}

static long ProcStatusId(string field) =>
    long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim().Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);

static JsonObject Probe(JsonNode? paths, Action<string> action) =>
    new((paths as JsonArray ?? []).Select(p => p!.GetValue<string>()).Distinct().Select(p => KeyValuePair.Create(p, (JsonNode?)Attempt(() => action(p)))));

// "ok", "denied" (EACCES/EPERM), "missing", or the exception's type.
static string Attempt(Action action)
{
    try
    {
        action();
        return "ok";
    }
    catch (UnauthorizedAccessException)
    {
        return "denied";
    }
    catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
    {
        return "missing";
    }
    catch (Exception ex)
    {
        return ex.GetType().Name;
    }
}

void WriteOutput(JsonObject output)
{
    if (outputPath is not null)
    {
        File.WriteAllText(outputPath, output.ToJsonString(), Encoding.UTF8);
    }
}

static string Try(Action action)
{
    try
    {
        action();
        return "ok";
    }
    catch (Exception ex)
    {
        return $"{ex.GetType().Name}: {(ex.InnerException ?? ex).Message}";
    }
}

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEgid();

    [LibraryImport("libc", EntryPoint = "setsid")]
    public static partial int Setsid();
}

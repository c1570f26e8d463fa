using System.Buffers.Binary;
using System.Diagnostics;
using Google.Protobuf;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;
using Env = Runtara.Protocol.Environment;
using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Environment.Tests.Security;

/// <summary>
/// At least 1,000,000 random and mutated frames and protobuf envelopes against the real core (instance
/// and management ports) and the real environment, over TLS/TCP from several connections at once,
/// pipelined in batches, with and without valid credentials: no server dies, every batch is answered
/// up to its probe, managed memory stays bounded, and well-behaved clients keep working throughout.
/// Replay a run with RUNTARA_FUZZ_SEED; scale it with RUNTARA_FUZZ_FRAMES.
/// </summary>
public sealed class PlatformFuzzTests(ITestOutputHelper output)
{
    private const int Batch = 128;
    private const int WorkersPerTarget = 2;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 600_000)]
    public Task A_million_hostile_frames_over_tls_tcp_leave_core_and_environment_serving() => RunAsync(TransportKind.Tcp);

    /// <summary>
    /// Over QUIC the same mutated envelopes go through the RPC client, one stream each (frame-level
    /// corruption is the TCP variant's: the framing code is shared). Skipped where msquic is missing.
    /// </summary>
    [SkippableFact(Timeout = 600_000)]
    public Task The_same_envelopes_over_quic()
    {
        Skip.IfNot(TransportSupport.IsQuicSupported, "QUIC skipped: System.Net.Quic is not supported on this machine (libmsquic not found on the loader path).");
        return RunAsync(TransportKind.Quic);
    }

    private async Task RunAsync(TransportKind transport)
    {
        var seed = System.Environment.GetEnvironmentVariable("RUNTARA_FUZZ_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        var total = System.Environment.GetEnvironmentVariable("RUNTARA_FUZZ_FRAMES") is { } f ? int.Parse(f, System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        output.WriteLine($"fuzz seed {seed} (set RUNTARA_FUZZ_SEED to replay), {total} frames over {transport}");
        var limits = new Dictionary<string, string?>
        {
            ["Runtara:Core:MaxRequestsPerSecondPerConnection"] = "0",
            // The harness's core listens on TLS/TCP only unless told otherwise.
            ["Runtara:Core:Transport"] = transport.ToString(),
        };
        await using var env = await EnvironmentHarness.StartAsync(
            new Dictionary<string, string?>
            {
                ["Runtara:Environment:MaxRequestsPerSecondPerConnection"] = "0",
                ["Runtara:Environment:Transport"] = transport.ToString(),
            },
            limits);
        var coreData = Path.Combine(env.Root, "core");
        var serviceToken = TestCredentials.ServiceToken(coreData);
        var apiKey = env.AdminApiKey;

        // A real instance the probes and bystanders ask about.
        var target = Ids.Instance("fuzz-target");
        var tenant = Ids.Tenant();
        await using var instanceClient = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(ClientOptions(env.CoreEndpoints.InstancePort, env.CoreEndpoints.CertificatePath!, serviceToken, transport));
        await instanceClient.CallAsync(new Inst.RpcRequest { RegisterInstance = new Inst.RegisterInstanceRequest { InstanceId = target, TenantId = tenant } });
        await using var managementClient = new RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse>(ClientOptions(env.CoreEndpoints.ManagementPort, env.CoreEndpoints.CertificatePath!, serviceToken, transport));

        var targets = new[]
        {
            new Target("core/instance", env.CoreEndpoints.InstancePort, serviceToken, InstanceTemplates(target),
                new Inst.RpcRequest { Credential = serviceToken, GetInstanceStatus = new Inst.GetInstanceStatusRequest { InstanceId = target } }.ToByteArray(),
                payload => Inst.RpcResponse.Parser.ParseFrom(payload) is { ResponseCase: Inst.RpcResponse.ResponseOneofCase.GetInstanceStatus } r && r.GetInstanceStatus.InstanceId == target),
            new Target("core/management", env.CoreEndpoints.ManagementPort, serviceToken, ManagementTemplates(target, tenant),
                new Mgmt.RpcRequest { Credential = serviceToken, GetInstanceStatus = new Mgmt.GetInstanceStatusRequest { InstanceId = target } }.ToByteArray(),
                payload => Mgmt.RpcResponse.Parser.ParseFrom(payload) is { ResponseCase: Mgmt.RpcResponse.ResponseOneofCase.GetInstanceStatus } r && r.GetInstanceStatus.InstanceId == target),
            new Target("environment", env.Port, apiKey, EnvironmentTemplates(target, tenant),
                new Env.RpcRequest { Credential = apiKey, GetInstanceStatus = new Env.GetInstanceStatusRequest { InstanceId = target, TenantId = tenant } }.ToByteArray(),
                payload => Env.RpcResponse.Parser.ParseFrom(payload) is { ResponseCase: Env.RpcResponse.ResponseOneofCase.GetInstanceStatus } r && r.GetInstanceStatus.InstanceId == target),
        };

        GC.Collect();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        using var fuzzing = new CancellationTokenSource();
        var bystanders = Task.WhenAll(
            BystanderAsync("instance", async () => Assert.Equal(target, (await instanceClient.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = target } })).GetInstanceStatus.InstanceId), fuzzing.Token),
            BystanderAsync("management", async () => Assert.True((await managementClient.CallAsync(new Mgmt.RpcRequest { HealthCheck = new() })).HealthCheck.Healthy), fuzzing.Token),
            BystanderAsync("environment", async () => Assert.True((await env.Client.HealthAsync()).Healthy), fuzzing.Token));

        var clock = Stopwatch.StartNew();
        var workers = targets.SelectMany(t => Enumerable.Repeat(t, WorkersPerTarget)).ToArray();
        var results = await Task.WhenAll(workers.Select((t, w) =>
        {
            var frames = (total / workers.Length) + (w == 0 ? total % workers.Length : 0);
            return Task.Run(() => transport == TransportKind.Quic
                ? FuzzEnvelopesAsync(t, seed + w, frames, transport)
                : FuzzAsync(t, seed + w, frames));
        }));
        var elapsed = clock.Elapsed;
        await fuzzing.CancelAsync();
        var bystanderCalls = await bystanders;

        GC.Collect();
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        var byTarget = results.GroupBy(r => r.Target).ToDictionary(g => g.Key, g => g.Aggregate(default(FuzzStats), (a, b) => a + b.Stats));
        foreach (var (name, stats) in byTarget)
        {
            output.WriteLine($"{name}: frames {stats.Frames}, responses {stats.Responses}, error frames {stats.ErrorFrames}, unanswered {stats.Silent}, connections closed by a terminal frame {stats.Closes}");
        }

        var frames = byTarget.Values.Sum(v => v.Frames);
        output.WriteLine($"{frames} frames in {elapsed.TotalSeconds:0.0} s ({frames / elapsed.TotalSeconds:0} frames/s); bystander calls {string.Join(", ", bystanderCalls)}; managed memory {memoryBefore / 1024} KiB -> {memoryAfter / 1024} KiB; working set {Process.GetCurrentProcess().WorkingSet64 / (1024 * 1024)} MiB");

        Assert.Equal(total, frames);
        Assert.All(byTarget.Values, v => Assert.True(v.Responses > 0 && v.ErrorFrames > 0, $"{v}"));
        Assert.All(bystanderCalls, calls => Assert.True(calls > 0));
        Assert.True(memoryAfter - memoryBefore < 128L * 1024 * 1024, $"managed memory grew by {(memoryAfter - memoryBefore) / 1024} KiB");

        // Everything still serves after the storm.
        Assert.Equal(target, (await instanceClient.CallAsync(new Inst.RpcRequest { GetInstanceStatus = new() { InstanceId = target } })).GetInstanceStatus.InstanceId);
        Assert.True((await managementClient.CallAsync(new Mgmt.RpcRequest { HealthCheck = new() })).HealthCheck.Healthy);
        Assert.True((await env.Client.HealthAsync()).Healthy);
    }

    private static RpcClientOptions ClientOptions(int port, string certificate, string credential, TransportKind transport) => new()
    {
        Address = $"127.0.0.1:{port}",
        Transport = transport,
        Tls = { PinnedCertificatePath = certificate },
        CredentialProvider = () => credential,
        MaxConnections = 2,
    };

    private static async Task<int> BystanderAsync(string name, Func<Task> call, CancellationToken stop)
    {
        var calls = 0;
        while (!stop.IsCancellationRequested)
        {
            await call();
            calls++;
            await Task.Delay(20, CancellationToken.None);
        }

        return calls;
    }

    /// <summary>Sends batches of fuzz frames followed by a probe, and reads every answer up to the probe's.</summary>
    private static async Task<(string Target, FuzzStats Stats)> FuzzAsync(Target target, int seed, int frames)
    {
        var random = new Random(seed);
        var mutator = new FrameMutator(random, target.Templates, target.Credential);
        var probe = FrameCodec.Encode(FrameType.Request, target.Probe);
        var stats = default(FuzzStats);
        var buffer = new MemoryStream();
        RawFrameClient? connection = null;
        try
        {
            while (stats.Frames < frames)
            {
                connection ??= await RawFrameClient.ConnectAsync(target.Port);
                buffer.SetLength(0);
                var count = Math.Min(Batch, frames - stats.Frames);
                var terminal = random.Next(100) < 2;
                for (var i = 0; i < count - (terminal ? 1 : 0); i++)
                {
                    buffer.Write(mutator.Next());
                }

                if (terminal)
                {
                    // A frame after which the connection cannot go on (oversize, truncated, an upload body).
                    buffer.Write(mutator.Terminal());
                    await connection.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
                    stats.Frames += count;
                    stats.Closes++;
                    await connection.DisposeAsync();
                    connection = null;
                    continue;
                }

                buffer.Write(probe);
                await connection.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
                stats.Frames += count;
                var replies = 0;
                while (true)
                {
                    var reply = await connection.ReadFrameAsync(ReplyTimeout)
                        ?? throw new Xunit.Sdk.XunitException($"{target.Name}: the server closed the connection before answering the probe (seed {seed})");
                    var (type, payload) = reply;
                    Assert.True(type is FrameType.Response or FrameType.Error, $"{target.Name}: unexpected {type} frame");
                    if (type == FrameType.Response && target.IsProbeReply(payload))
                    {
                        stats.Silent += count - replies;
                        break;
                    }

                    replies++;
                    Assert.True(replies <= count, $"{target.Name}: more answers than frames (seed {seed})");
                    if (type == FrameType.Error)
                    {
                        stats.ErrorFrames++;
                        Assert.False(string.IsNullOrEmpty(RpcErrorFrame.Parser.ParseFrom(payload).Code));
                    }
                    else
                    {
                        stats.Responses++;
                    }
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        return (target.Name, stats);
    }

    /// <summary>Mutated envelopes that still decode, sent as RPCs over <paramref name="transport"/>; every one is answered (a response or an RpcError).</summary>
    private static async Task<(string Target, FuzzStats Stats)> FuzzEnvelopesAsync(Target target, int seed, int frames, TransportKind transport)
    {
        var random = new Random(seed);
        var mutator = new FrameMutator(random, target.Templates, target.Credential);
        var stats = default(FuzzStats);
        var options = new RpcClientOptions { Address = $"127.0.0.1:{target.Port}", Transport = transport, Tls = { DangerousSkipCertificateVerification = true }, MaxConnections = 4 };
        await using var instance = new RpcClient<Inst.RpcRequest, Inst.RpcResponse>(options);
        await using var management = new RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse>(options);
        await using var environment = new RpcClient<Env.RpcRequest, Env.RpcResponse>(options);
        while (stats.Frames < frames)
        {
            var payload = mutator.NextEnvelope();
            stats.Frames++;
            try
            {
                switch (target.Name)
                {
                    case "core/instance" when Inst.RpcRequest.Parser.ParseFrom(payload) is { Kind: RpcKind.Unary } request:
                        await instance.CallAsync(request);
                        break;
                    case "core/management" when Mgmt.RpcRequest.Parser.ParseFrom(payload) is { Kind: RpcKind.Unary } request:
                        await management.CallAsync(request);
                        break;
                    case "environment" when Env.RpcRequest.Parser.ParseFrom(payload) is { Kind: RpcKind.Unary } request:
                        await environment.CallAsync(request);
                        break;
                    default:
                        stats.Silent++;
                        continue;
                }

                stats.Responses++;
            }
            catch (InvalidProtocolBufferException)
            {
                stats.Silent++;
            }
            catch (RpcException ex) when (!ex.IsTransient)
            {
                stats.ErrorFrames++;
            }
        }

        return (target.Name, stats);
    }

    /// <summary>
    /// Envelope builders of the instance protocol: a random credential choice, random ids and values.
    /// No template asks for the target's status, so only the probe is answered with it.
    /// </summary>
    private static Func<Random, string, byte[]>[] InstanceTemplates(string target) =>
    [
        (r, c) => new Inst.RpcRequest { Credential = c, Checkpoint = new() { InstanceId = Pick(r, target), CheckpointId = Text(r), State = Bytes(r) } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, GetCheckpoint = new() { InstanceId = Pick(r, target), CheckpointId = Text(r) } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, Sleep = new() { InstanceId = Text(r), DurationMs = (ulong)r.NextInt64(), CheckpointId = Text(r) } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, InstanceEvent = new() { InstanceId = Text(r), EventType = (Inst.InstanceEventType)r.Next(-2, 12), Subtype = Text(r), Payload = Bytes(r) } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, InstanceEventBatch = new() { Events = { new Inst.InstanceEvent { InstanceId = Text(r), EventType = Inst.InstanceEventType.EventCustom } } } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, GetInstanceStatus = new() { InstanceId = Text(r) } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, PollSignals = new() { InstanceId = Text(r), CheckpointId = Text(r) } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, SignalAck = new() { InstanceId = Text(r), Acknowledged = true } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, RetryAttempt = new() { InstanceId = Text(r), CheckpointId = Text(r), AttemptNumber = (uint)r.Next() } }.ToByteArray(),
        (r, c) => new Inst.RpcRequest { Credential = c, RenewCredential = new() { InstanceId = Text(r) } }.ToByteArray(),
    ];

    private static Func<Random, string, byte[]>[] ManagementTemplates(string target, string tenant) =>
    [
        (r, c) => new Mgmt.RpcRequest { Credential = c, HealthCheck = new() }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, SendSignal = new() { InstanceId = Text(r), SignalType = (Mgmt.SignalType)r.Next(-1, 5), Payload = Bytes(r) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, GetInstanceStatus = new() { InstanceId = Text(r) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, ListInstances = new() { TenantId = Pick(r, tenant), Limit = (uint)r.Next(0, 2000), Offset = (uint)r.Next() } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, ListCheckpoints = new() { InstanceId = Pick(r, target), Limit = (uint)r.Next(0, 2000) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, GetCheckpoint = new() { InstanceId = Pick(r, target), CheckpointId = Text(r) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, SendCustomSignal = new() { InstanceId = Text(r), CheckpointId = Text(r), Payload = Bytes(r) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, ListDueWakeups = new() { Limit = (uint)r.Next(0, 5), LeaseMs = (ulong)r.Next(0, 10) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, FinishInstance = new() { InstanceId = Text(r), Status = (Mgmt.InstanceStatus)r.Next(-1, 9) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, ListEvents = new() { InstanceId = Pick(r, target), Limit = (uint)r.Next(0, 2000) } }.ToByteArray(),
        (r, c) => new Mgmt.RpcRequest { Credential = c, ListRetryAttempts = new() { InstanceId = Pick(r, target), CheckpointId = Text(r), Limit = (uint)r.Next(0, 2000) } }.ToByteArray(),
    ];

    private static Func<Random, string, byte[]>[] EnvironmentTemplates(string target, string tenant) =>
    [
        (r, c) => new Env.RpcRequest { Credential = c, HealthCheck = new() }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, ListImages = new() { TenantId = Pick(r, tenant), Limit = (uint)r.Next(0, 2000) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, GetImage = new() { ImageId = Text(r), TenantId = Pick(r, tenant) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, DeleteImage = new() { ImageId = Text(r), TenantId = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, StartInstance = new() { ImageId = Text(r), TenantId = Pick(r, tenant), Input = Bytes(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, StopInstance = new() { InstanceId = Text(r), TenantId = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, ResumeInstance = new() { InstanceId = Text(r), TenantId = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, GetInstanceStatus = new() { InstanceId = Text(r), TenantId = Pick(r, tenant) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, ListInstances = new() { TenantId = Pick(r, tenant), Limit = (uint)r.Next(0, 2000), OrderBy = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, SendSignal = new() { InstanceId = Text(r), SignalType = (Env.SignalType)r.Next(-1, 5), TenantId = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, ListCheckpoints = new() { InstanceId = Pick(r, target), TenantId = Pick(r, tenant) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, GetCheckpoint = new() { InstanceId = Pick(r, target), CheckpointId = Text(r), TenantId = Pick(r, tenant) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, ListEvents = new() { InstanceId = Pick(r, target), TenantId = Pick(r, tenant) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, SendCustomSignal = new() { InstanceId = Text(r), CheckpointId = Text(r), TenantId = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, GetTenantMetrics = new() { TenantId = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, GetInstanceLogs = new() { InstanceId = Pick(r, target), TenantId = Pick(r, tenant), Stream = Text(r) } }.ToByteArray(),
        (r, c) => new Env.RpcRequest { Credential = c, ListRetryAttempts = new() { InstanceId = Pick(r, target), TenantId = Pick(r, tenant), Offset = (uint)r.Next(0, 5) } }.ToByteArray(),
    ];

    private static string Pick(Random random, string known) => random.Next(4) == 0 ? known : Text(random);

    private static string Text(Random random)
    {
        var length = random.Next(32) switch { 0 => 0, 1 => random.Next(100, 2000), _ => random.Next(1, 24) };
        return string.Create(length, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = r.Next(10) == 0 ? (char)r.Next(0, 0xD800) : (char)r.Next('!', '~');
            }
        });
    }

    private static ByteString Bytes(Random random)
    {
        var bytes = new byte[random.Next(32) == 0 ? random.Next(1000, 20_000) : random.Next(0, 64)];
        random.NextBytes(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    private sealed record Target(string Name, int Port, string Credential, Func<Random, string, byte[]>[] Templates, byte[] Probe, Func<byte[], bool> IsProbeReply);

    private record struct FuzzStats(int Frames, int Responses, int ErrorFrames, int Silent, int Closes)
    {
        public static FuzzStats operator +(FuzzStats a, FuzzStats b) =>
            new(a.Frames + b.Frames, a.Responses + b.Responses, a.ErrorFrames + b.ErrorFrames, a.Silent + b.Silent, a.Closes + b.Closes);
    }

    /// <summary>
    /// Complete frames the connection survives: envelopes with no, a wrong or the valid credential;
    /// bit-flipped, truncated and extended envelopes; random payloads; undefined and misplaced frame
    /// types. <see cref="Terminal"/> makes the ones it does not survive.
    /// </summary>
    private sealed class FrameMutator(Random random, Func<Random, string, byte[]>[] templates, string credential)
    {
        private readonly string _credential = credential;
        private readonly string _forged = credential[..^2] + (credential[^2] == 'A' ? "B" : "A") + credential[^1];

        public byte[] Next()
        {
            var roll = random.Next(100);
            var template = templates[random.Next(templates.Length)];
            return roll switch
            {
                < 20 => Frame(1, template(random, roll switch { < 7 => string.Empty, < 14 => _forged, _ => "rt1.garbage.token" })),
                < 45 => Frame(1, template(random, _credential)),
                < 65 => Frame(1, Flip(template(random, random.Next(2) == 0 ? _credential : string.Empty))),
                < 72 => Frame(1, Truncate(template(random, _credential))),
                < 78 => Frame(1, [.. template(random, _credential), .. RandomBytes(random.Next(1, 40))]),
                < 88 => Frame(1, RandomBytes(random.Next(0, 200))),
                < 92 => Frame((ushort)(random.Next(2) == 0 ? 2 : random.Next(4, 7)), template(random, _credential)),
                _ => Frame((ushort)random.Next(7, 65536), RandomBytes(random.Next(0, 64))),
            };
        }

        /// <summary>A mutated envelope payload (no framing).</summary>
        public byte[] NextEnvelope()
        {
            var template = templates[random.Next(templates.Length)];
            return random.Next(4) switch
            {
                0 => template(random, random.Next(2) == 0 ? _forged : string.Empty),
                1 => template(random, _credential),
                2 => Flip(template(random, _credential)),
                _ => Truncate(template(random, _credential)),
            };
        }

        public byte[] Terminal()
        {
            var template = templates[random.Next(templates.Length)];
            switch (random.Next(3))
            {
                case 0:
                    // Oversize announcement: the header alone.
                    var header = new byte[6];
                    BinaryPrimitives.WriteUInt32BigEndian(header, (uint)random.Next(64 * 1024 * 1024 + 1, int.MaxValue));
                    BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
                    return header;
                case 1:
                    // Truncated: the header promises more than is sent before the client goes away.
                    var whole = Frame(1, template(random, _credential));
                    return whole[..random.Next(1, whole.Length)];
                default:
                    // A stream start, after which the server reads an upload body or closes.
                    return Frame(3, template(random, _credential));
            }
        }

        private byte[] Flip(byte[] payload)
        {
            for (var flips = random.Next(1, 4); flips > 0 && payload.Length > 0; flips--)
            {
                payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
            }

            return payload;
        }

        private byte[] Truncate(byte[] payload) => payload.Length == 0 ? payload : payload[..random.Next(payload.Length)];

        private byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        private static byte[] Frame(ushort type, byte[] payload)
        {
            var frame = new byte[6 + payload.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), type);
            payload.CopyTo(frame.AsSpan(6));
            return frame;
        }
    }
}

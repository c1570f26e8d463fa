using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Xunit.Sdk;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Tests.Crash;

/// <summary>
/// Crash safety: the real core runs as a child process while many clients checkpoint, and is
/// killed with SIGKILL at random moments, again and again. After each restart every acknowledged
/// checkpoint must be present and byte-identical, and every stored checkpoint must be whole.
/// </summary>
public abstract class CrashSafetyTests(ITestOutputHelper output)
{
    protected const int Kills = 20;
    private const int Workers = 12;

    protected async Task KillsNeverLoseAcknowledgedCheckpointsAsync(string dataDirectory, string? postgres, int seed)
    {
        var random = new Random(seed);
        var acknowledged = new ConcurrentDictionary<(string Instance, string Key), byte[]>();
        var instances = Enumerable.Range(0, Workers).Select(w => $"crash-{seed}-{w}").ToArray();
        var totalAcknowledged = 0;

        for (var cycle = 0; cycle < Kills; cycle++)
        {
            await using var core = await CoreProcess.StartAsync(dataDirectory, postgres, TimeSpan.FromSeconds(60));
            await using var client = new RpcClient<RpcRequest, RpcResponse>(CoreHost.ClientOptions(core.Endpoints.InstancePort, core.Endpoints.CertificatePath!, Workers, TestCredentials.ServiceToken(dataDirectory)));

            // What the previous run acknowledged before its kill is there, whole (all of it is checked at the end).
            await VerifyAsync(client, acknowledged.Where(a => a.Key.Key.StartsWith($"c{cycle - 1}-", StringComparison.Ordinal)));

            using var stop = new CancellationTokenSource();
            var workers = instances.Select((instance, w) => Task.Run(() => DriveAsync(client, instance, cycle, w, acknowledged, stop.Token))).ToArray();

            // Let load build up for a random time, then pull the plug mid-flight.
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(150, 600)));
            await core.KillAsync();
            await stop.CancelAsync();
            var counts = await Task.WhenAll(workers);
            totalAcknowledged += counts.Sum();
        }

        await using (var final = await CoreProcess.StartAsync(dataDirectory, postgres, TimeSpan.FromSeconds(60)))
        {
            await using var client = new RpcClient<RpcRequest, RpcResponse>(CoreHost.ClientOptions(final.Endpoints.InstancePort, final.Endpoints.CertificatePath!, Workers, TestCredentials.ServiceToken(dataDirectory)));
            await VerifyAsync(client, acknowledged);
            await using var management = new RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse>(CoreHost.ClientOptions(final.Endpoints.ManagementPort, final.Endpoints.CertificatePath!, 2, TestCredentials.ServiceToken(dataDirectory)));
            var stored = await VerifyNothingHalfWrittenAsync(management, instances);
            output.WriteLine($"{Kills} kills, {totalAcknowledged} acknowledged checkpoints verified, {stored} stored checkpoints whole");
            Assert.True(stored >= acknowledged.Count);
        }

        Assert.True(totalAcknowledged > Kills, $"only {totalAcknowledged} checkpoints were acknowledged; the load did not reach the core");
    }

    /// <summary>Deterministic, key-dependent content and length, so any stored state can be checked for wholeness.</summary>
    protected static byte[] StateFor(string instance, string key)
    {
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes($"{instance}/{key}"));
        var length = 16 + (BitConverter.ToUInt16(seed, 0) % 6000);
        var state = new byte[length];
        for (var offset = 0; offset < length; offset += seed.Length)
        {
            seed = SHA256.HashData(seed);
            seed.AsSpan(0, Math.Min(seed.Length, length - offset)).CopyTo(state.AsSpan(offset));
        }

        return state;
    }

    private static async Task<int> DriveAsync(
        RpcClient<RpcRequest, RpcResponse> client, string instance, int cycle, int worker, ConcurrentDictionary<(string, string), byte[]> acknowledged, CancellationToken stop)
    {
        var count = 0;
        try
        {
            await client.CallAsync(new RpcRequest { RegisterInstance = new RegisterInstanceRequest { InstanceId = instance, TenantId = "crash" } }, stop);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"c{cycle}-w{worker}-{n}";
                var state = StateFor(instance, key);
                var response = await client.CallAsync(new RpcRequest
                {
                    Checkpoint = new CheckpointRequest { InstanceId = instance, CheckpointId = key, State = ByteString.CopyFrom(state) },
                }, TimeSpan.FromSeconds(10), stop);
                Assert.False(response.Checkpoint.Found);
                acknowledged[(instance, key)] = state;
                count++;
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            // The core was killed under this call: it was never acknowledged.
        }

        return count;
    }

    private static async Task VerifyAsync(RpcClient<RpcRequest, RpcResponse> client, IEnumerable<KeyValuePair<(string Instance, string Key), byte[]>> acknowledged)
    {
        foreach (var ((instance, key), state) in acknowledged)
        {
            var stored = await client.CallAsync(new RpcRequest { GetCheckpoint = new GetCheckpointRequest { InstanceId = instance, CheckpointId = key } });
            if (!stored.GetCheckpoint.Found || !stored.GetCheckpoint.State.Span.SequenceEqual(state))
            {
                throw new XunitException($"Acknowledged checkpoint {instance}/{key} is {(stored.GetCheckpoint.Found ? "corrupt" : "missing")} after a kill.");
            }
        }
    }

    private static async Task<int> VerifyNothingHalfWrittenAsync(RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse> management, string[] instances)
    {
        var total = 0;
        foreach (var instance in instances)
        {
            for (uint offset = 0; ; offset += 1000)
            {
                var page = (await management.CallAsync(new Mgmt.RpcRequest
                {
                    ListCheckpoints = new Mgmt.ListCheckpointsRequest { InstanceId = instance, Limit = 1000, Offset = offset },
                })).ListCheckpoints;
                foreach (var summary in page.Checkpoints)
                {
                    var data = (await management.CallAsync(new Mgmt.RpcRequest
                    {
                        GetCheckpoint = new Mgmt.GetCheckpointRequest { InstanceId = instance, CheckpointId = summary.CheckpointId },
                    })).GetCheckpoint.Data;
                    Assert.True(data.Span.SequenceEqual(StateFor(instance, summary.CheckpointId)), $"stored checkpoint {instance}/{summary.CheckpointId} is not whole");
                    Assert.Equal((ulong)data.Length, summary.DataSizeBytes);
                    total++;
                }

                if (page.Checkpoints.Count < 1000)
                {
                    break;
                }
            }
        }

        return total;
    }
}

public sealed class SqliteCrashSafetyTests(ITestOutputHelper output) : CrashSafetyTests(output), IDisposable
{
    private readonly TempDirectory _directory = new("runtara-crash-sqlite");

    [Fact(Timeout = 240_000)]
    public Task SIGKILL_of_a_sqlite_core_at_random_moments_never_loses_an_acknowledged_checkpoint() =>
        KillsNeverLoseAcknowledgedCheckpointsAsync(_directory.Path, postgres: null, seed: 1);

    public void Dispose() => _directory.Dispose();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCrashSafetyTests(PostgresFixture fixture, ITestOutputHelper output) : CrashSafetyTests(output), IDisposable
{
    private readonly TempDirectory _directory = new("runtara-crash-pg");

    [PostgresFact(Timeout = 240_000)]
    public async Task SIGKILL_of_a_postgresql_core_at_random_moments_never_loses_an_acknowledged_checkpoint()
    {
        await fixture.Cluster.CreateDatabaseAsync("crash");
        await KillsNeverLoseAcknowledgedCheckpointsAsync(_directory.Path, fixture.Cluster.ConnectionString("crash"), seed: 2);
    }

    public void Dispose() => _directory.Dispose();
}

using System.Diagnostics;
using Runtara.Core.Hosting;
using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Rpc;
using Xunit.Abstractions;

namespace Runtara.Core.Tests.Hosting;

/// <summary>
/// A whole core on a small tmpfs (root only): a full disk answers RESOURCE_EXHAUSTED and /health says
/// Degraded; freeing 3 MiB brings writes back, and every acknowledged checkpoint is there after a restart.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private const int Timeout = 180_000;

    [SkippableFact(Timeout = Timeout)]
    public async Task A_full_disk_answers_RESOURCE_EXHAUSTED_and_Degraded_health_and_writes_resume_once_space_is_freed()
    {
        using var disk = TmpfsMount.TryMount(100L << 20, out var reason);
        Skip.If(disk is null, reason);

        // What a core killed on a full disk leaves: a temporary file of a process that is gone.
        var deadPid = await DeadProcessIdAsync();
        var staleTemporary = Path.Combine(disk.Path, $"{CoreEndpoints.FileName}.{deadPid}.tmp");
        await File.WriteAllBytesAsync(staleTemporary, []);

        var acknowledged = new List<string>();
        var id = Ids.Instance();
        var state = new byte[16 << 10];
        await using (var core = await CoreHost.StartAsync(disk.Path))
        {
            Assert.False(File.Exists(staleTemporary));
            using var http = new HttpClient { BaseAddress = core.HttpAddress };
            await core.Instance.RegisterAsync(id, "t");

            var ballast = Path.Combine(disk.Path, "ballast");
            await File.WriteAllBytesAsync(ballast, new byte[3 << 20]);
            await File.WriteAllBytesAsync(ballast + ".rest", new byte[disk.FreeBytes - (4 << 20)]);

            RpcException? full = null;
            for (var i = 0; full is null && i < 10_000; i++)
            {
                Random.Shared.NextBytes(state);
                try
                {
                    await core.Instance.CheckpointAsync(id, $"k{i}", state);
                    acknowledged.Add($"k{i}");
                }
                catch (RpcException ex)
                {
                    full = ex;
                }
            }

            Assert.NotNull(full);
            Assert.Equal(RpcErrorCodes.ResourceExhausted, full.Code);
            Assert.Equal("Degraded", await http.GetStringAsync(new Uri("/health", UriKind.Relative)));
            output.WriteLine($"full after {acknowledged.Count} checkpoints; {disk.FreeBytes >> 10} KiB free");

            File.Delete(ballast);
            for (var i = 0; i < 72; i++)
            {
                await core.Instance.CheckpointAsync(id, $"after-{i}", state);
                acknowledged.Add($"after-{i}");
            }

            Assert.Equal("Healthy", await http.GetStringAsync(new Uri("/health", UriKind.Relative)));
        }

        await using var restarted = await CoreHost.StartAsync(disk.Path);
        foreach (var key in acknowledged)
        {
            Assert.True((await restarted.Instance.GetCheckpointAsync(id, key)).Found, key);
        }
    }

    private static async Task<int> DeadProcessIdAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }
}

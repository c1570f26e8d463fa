using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Engine.Checkpoints;
using Runtara.Engine.Instances;
using Runtara.Engine.Storage;
using Runtara.Engine.Storage.Sqlite;
using Xunit.Abstractions;

namespace Runtara.Engine.Tests.Storage;

/// <summary>
/// The SQLite store on a small tmpfs (root only): writes that find the disk full fail with
/// RESOURCE_EXHAUSTED, come back as soon as a little space is freed, and lose nothing acknowledged.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private const int Timeout = 120_000;
    private const int StateBytes = 16 << 10;
    private static readonly StoreSettings Settings = new(MaxBatchSize: 512, WriteQueueCapacity: 10_000);

    [Theory]
    [InlineData(0, 100, 20, 100, 0)] // shortfall capped by what stays above the reserve
    [InlineData(0, 100, 200, 100, 100)]
    [InlineData(0, 100, 150, 100, 50)] // shrunk
    [InlineData(0, 100, 90, 100, 0)] // skipped: the disk is below the reserve
    [InlineData(120, 100, 1000, 100, 0)] // already large enough
    public void The_WAL_preallocation_takes_only_space_above_the_reserve(long current, long target, long free, long reserve, long expected) =>
        Assert.Equal(expected, WalPreallocation.BytesToAdd(current, target, free, reserve));

    [SkippableFact(Timeout = Timeout)]
    public async Task On_a_small_disk_the_WAL_is_not_preallocated_and_the_reserve_stays_free()
    {
        using var disk = TmpfsMount.TryMount(12L << 20, out var reason);
        Skip.If(disk is null, reason);
        var path = Path.Combine(disk.Path, "core.db");
        await using var store = await OpenAsync(path);
        Assert.True(new FileInfo(path + "-wal").Length < 1 << 20, $"WAL of {new FileInfo(path + "-wal").Length} bytes on a 12 MiB disk");
        Assert.True(disk.FreeBytes > 10L << 20);
    }

    /// <param name="fillAfterStart">false: a tiny disk the store fills itself; true: a disk filled by another file after start (the WAL is preallocated).</param>
    [SkippableTheory(Timeout = Timeout)]
    [InlineData(12, false)]
    [InlineData(100, true)]
    public async Task Writes_on_a_full_disk_fail_with_RESOURCE_EXHAUSTED_and_resume_with_nothing_lost_once_3_MiB_are_freed(int diskMiB, bool fillAfterStart)
    {
        using var disk = TmpfsMount.TryMount((long)diskMiB << 20, out var reason);
        Skip.If(disk is null, reason);
        var path = Path.Combine(disk.Path, "core.db");
        var ballast = Path.Combine(disk.Path, "ballast");
        if (!fillAfterStart)
        {
            await File.WriteAllBytesAsync(ballast, new byte[3 << 20]);
        }

        var acknowledged = new List<string>();
        var id = Ids.Instance();
        var store = await OpenAsync(path);
        try
        {
            if (fillAfterStart)
            {
                await File.WriteAllBytesAsync(ballast, new byte[3 << 20]);
                await File.WriteAllBytesAsync(ballast + ".rest", new byte[disk.FreeBytes - (6 << 20)]);
            }

            await store.WriteAsync("seed", async (w, t) =>
            {
                await w.InsertInstanceAsync(new InstanceRecord { InstanceId = id, TenantId = "t", Status = InstanceStatus.Running, CreatedAtMs = 1 }, t);
                return true;
            }, CancellationToken.None);

            // Concurrent saves (so batches form) until the disk is full.
            StorageFullException? full = null;
            for (var round = 0; full is null && round < 10_000; round++)
            {
                var keys = Enumerable.Range(0, 8).Select(i => $"k{round}-{i}").ToList();
                var saves = keys.Select(key => (key, task: Save(store, id, key))).ToList();
                foreach (var (key, task) in saves)
                {
                    try
                    {
                        await task;
                        acknowledged.Add(key);
                    }
                    catch (StorageFullException ex)
                    {
                        full = ex;
                    }
                }
            }

            Assert.NotNull(full);
            Assert.Equal(CoreErrorCodes.StorageFull, full.Code);
            Assert.Equal(RpcErrorCodes.ResourceExhausted, full.Code);
            Assert.NotNull(store.OutOfSpaceSince);
            if (!fillAfterStart)
            {
                // The tiny disk has nothing left. On the large one the failed transaction may have been a
                // batch whose operations were then retried alone: the space left can still take a single
                // save, so one right after the failure is not always refused there (it is kept below).
                await Assert.ThrowsAsync<StorageFullException>(() => Save(store, id, "still-full"));
            }

            output.WriteLine($"full after {acknowledged.Count} saves: {Files(disk.Path)}");

            File.Delete(ballast);
            var resumed = 0;
            for (var i = 0; i < 72; i++)
            {
                await Save(store, id, $"after-{i}");
                acknowledged.Add($"after-{i}");
                resumed++;
            }

            output.WriteLine($"3 MiB freed: {resumed} of 72 saves; {Files(disk.Path)}");
            Assert.Null(store.OutOfSpaceSince);
        }
        finally
        {
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools(); // what process exit does: the last connection closes
        }

        output.WriteLine($"stopped: {Files(disk.Path)}");
        await using var reopened = await OpenAsync(path);
        foreach (var key in acknowledged)
        {
            Assert.NotNull(await reopened.GetCheckpointAsync(id, key, CancellationToken.None));
        }
    }

    private static Task<CheckpointSaveResult> Save(ICoreStore store, string id, string key) =>
        store.WriteAsync("checkpoint", (w, t) => w.SaveCheckpointIfAbsentAsync(id, key, Random.Shared.GetItems<byte>([1, 2, 3, 4, 5, 6, 7, 8], StateBytes), 1, t), CancellationToken.None);

    private static async Task<SqliteCoreStore> OpenAsync(string path)
    {
        var store = new SqliteCoreStore(path, Settings, NullLogger<SqliteCoreStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private static string Files(string directory) =>
        string.Join(", ", Directory.GetFiles(directory).Order().Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length >> 10} KiB"));
}

namespace Runtara.Sdk.Tests.Infrastructure;

/// <summary>A directory deleted when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "runtara-sdk")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Waits on state with a deadline instead of sleeping a fixed time.</summary>
public static class Wait
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last value: {value}");
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
    }
}

/// <summary>Unique ids so tests sharing a core or a store never see each other's data.</summary>
public static class Ids
{
    public static string Instance(string hint = "i") => $"{hint}-{Guid.NewGuid():N}";

    public static string Tenant() => $"tenant-{Guid.NewGuid():N}"[..20];
}

/// <summary>The real clock moved by <see cref="Offset"/>: a relaunch "after" a long sleep without waiting for it.</summary>
public sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
{
    public TimeSpan Offset { get; } = offset;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

/// <summary>Per-test timeouts (ms): a hung call fails its test instead of the run.</summary>
public static class TestTimeouts
{
    public const int Short = 30_000;
    public const int Long = 120_000;
}

namespace Runtara.Testing;

/// <summary>Waits on state with a deadline instead of sleeping a fixed time.</summary>
public static class Wait
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
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
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
        }
    }
}

/// <summary>Unique ids so that tests sharing a server or a store never see each other's data.</summary>
public static class Ids
{
    public static string Instance(string hint = "i") => $"{hint}-{Guid.NewGuid():N}";

    public static string Tenant() => $"tenant-{Guid.NewGuid():N}"[..20];
}

namespace Runtara.Engine.Instances;

/// <summary>Server-clock time in Unix milliseconds, the unit of every stored time.</summary>
internal static class CoreClock
{
    public static long NowMs(this TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();
}

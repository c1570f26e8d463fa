namespace Runtara.Sdk.Tests.Infrastructure;

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

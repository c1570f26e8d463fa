using System.Threading.Tasks.Sources;
using Runtara.Threading;

namespace Runtara.Protocol.Tests.Threading;

public sealed class FirstWinsValueTaskSourceCoreTests
{
    [Fact]
    public async Task The_first_racer_wins_and_the_others_are_ignored()
    {
        var source = new Source();
        Assert.True(source.Core.TrySetResult(1));
        Assert.False(source.Core.TrySetException(new OperationCanceledException()));
        Assert.False(source.Core.TrySetResult(2));
        Assert.Equal(1, await source.Wait());
    }

    [Fact]
    public async Task A_failure_that_wins_is_what_the_waiter_gets()
    {
        var source = new Source();
        var waiting = source.Wait();
        Assert.True(source.Core.TrySetException(new TimeoutException("first")));
        Assert.False(source.Core.TrySetResult(3));
        Assert.Equal("first", (await Assert.ThrowsAsync<TimeoutException>(async () => await waiting)).Message);
    }

    [Fact]
    public async Task After_a_reset_it_serves_a_new_wait_and_refuses_the_old_version()
    {
        var source = new Source();
        var stale = source.Core.Version;
        source.Core.TrySetResult(1);
        Assert.Equal(1, await source.Wait());

        source.Core.Reset();
        Assert.NotEqual(stale, source.Core.Version);
        Assert.True(source.Core.TrySetResult(5));
        Assert.Equal(5, await source.Wait());
        Assert.Throws<InvalidOperationException>(() => source.Core.GetResult(stale));
    }

    private sealed class Source : IValueTaskSource<int>
    {
        public FirstWinsValueTaskSourceCore<int> Core = new();

        public ValueTask<int> Wait() => new(this, Core.Version);

        public int GetResult(short token) => Core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => Core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            Core.OnCompleted(continuation, state, token, flags);
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Runtara.Engine.Hosting;
using Runtara.Engine.Storage;

namespace Runtara.Engine.Instances;

/// <summary>
/// Stamps an instance's last activity for RPCs that otherwise only read (poll, status, get
/// checkpoint). Writes already stamp it in their own transaction; these reads queue a touch at most
/// once per <see cref="EngineOptions.ActivityWriteInterval"/> per instance, without waiting for it.
/// The map is only a throttle: losing it loses nothing.
/// </summary>
internal sealed class ActivityTracker(ICoreStore store, TimeProvider time, IOptions<EngineOptions> options)
{
    private const int MaxTracked = 100_000;
    private readonly ConcurrentDictionary<string, long> _lastTouched = new(StringComparer.Ordinal);
    private readonly long _intervalMs = (long)options.Value.ActivityWriteInterval.TotalMilliseconds;

    public void Touch(string instanceId)
    {
        if (string.IsNullOrEmpty(instanceId))
        {
            return;
        }

        var now = time.NowMs();
        if (_lastTouched.TryGetValue(instanceId, out var last) && now - last < _intervalMs)
        {
            return;
        }

        if (_lastTouched.Count >= MaxTracked)
        {
            _lastTouched.Clear();
        }

        _lastTouched[instanceId] = now;
        _ = TouchAsync(instanceId, now);
    }

    private async Task TouchAsync(string instanceId, long now)
    {
        try
        {
            await store.WriteAsync("touch_instance", async (writer, token) =>
            {
                await writer.TouchInstanceAsync(instanceId, now, token).ConfigureAwait(false);
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CoreException or ObjectDisposedException)
        {
            // Best effort: activity is advisory and the next RPC stamps it again.
        }
    }
}

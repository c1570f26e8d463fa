using System.Diagnostics;

namespace Runtara.Diagnostics;

/// <summary>
/// Marks RPCs made by background housekeeping (periodic polls, health checks, gauges) so an idle
/// service creates no root traces. Inside a <see cref="Begin"/> scope with no current activity, the
/// RPC client starts no span and sends a W3C trace context flagged "not sampled"; the server honours
/// that flag and starts no span either. Work a poll finds is traced by starting an activity for that
/// work item inside the scope: RPCs under it have a parent and are traced as usual.
/// </summary>
public static class BackgroundWork
{
    private static readonly AsyncLocal<bool> Active = new();

    /// <summary>True inside a <see cref="Begin"/> scope on the current async flow.</summary>
    public static bool IsActive => Active.Value;

    /// <summary>
    /// Starts a background scope on the current async flow: clears <see cref="Activity.Current"/> (the
    /// loop never joins the trace that started it) and marks RPCs as background until disposed.
    /// </summary>
    /// <returns>The scope; disposing it restores the previous activity and mark.</returns>
    public static Scope Begin()
    {
        var scope = new Scope(Activity.Current, Active.Value);
        Activity.Current = null;
        Active.Value = true;
        return scope;
    }

    /// <summary>A fresh trace context that asks the receiver not to record the call (sampled flag off).</summary>
    internal static string UnsampledTraceparent() =>
        $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00";

    /// <summary>The scope returned by <see cref="Begin"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Activity? _previousActivity;
        private readonly bool _previousActive;

        internal Scope(Activity? previousActivity, bool previousActive)
        {
            _previousActivity = previousActivity;
            _previousActive = previousActive;
        }

        /// <summary>Restores the activity and background mark of the flow before <see cref="Begin"/>.</summary>
        public void Dispose()
        {
            Active.Value = _previousActive;
            Activity.Current = _previousActivity;
        }
    }
}

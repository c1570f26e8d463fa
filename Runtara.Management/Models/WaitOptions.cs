namespace Runtara.Management;

/// <summary>How <see cref="RuntaraManagementClient.WaitForCompletionAsync"/> polls and when it gives up.</summary>
public sealed class WaitOptions
{
    /// <summary>How often status is polled (SPEC default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Deadline; <see cref="WaitTimeoutException"/> after it (the original waited forever, SPEC §19.18).
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>: none, only the caller's token ends the wait.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Also return when the instance is SUSPENDED (paused or sleeping).</summary>
    public bool ReturnWhenSuspended { get; set; }
}

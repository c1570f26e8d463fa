namespace Runtara.Management;

public sealed class StopInstanceOptions
{
    /// <summary>Time the instance gets to stop cleanly after the cancel signal (SPEC: 5 s).</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    public string Reason { get; set; } = string.Empty;
}

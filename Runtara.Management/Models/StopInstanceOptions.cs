namespace Runtara.Management;

/// <summary>How to stop an instance (<see cref="RuntaraManagementClient.StopInstanceAsync"/>).</summary>
public sealed class StopInstanceOptions
{
    /// <summary>Time the instance gets to stop cleanly after the cancel signal (SPEC: 5 s).</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Why it is stopped; sent as the cancel signal's payload (empty: "Stopped by request").</summary>
    public string Reason { get; set; } = string.Empty;
}

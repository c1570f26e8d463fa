namespace Runtara.Management;

/// <summary>What the environment's HealthCheck answered.</summary>
/// <param name="Healthy">True when the environment's storage answers.</param>
/// <param name="Version">The environment's version.</param>
/// <param name="UptimeMs">How long the environment has run, in milliseconds.</param>
/// <param name="ActiveInstances">How many instances are running or suspended.</param>
public sealed record HealthInfo(bool Healthy, string Version, long UptimeMs, uint ActiveInstances);

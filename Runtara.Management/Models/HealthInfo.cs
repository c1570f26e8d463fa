namespace Runtara.Management;

public sealed record HealthInfo(bool Healthy, string Version, long UptimeMs, uint ActiveInstances);

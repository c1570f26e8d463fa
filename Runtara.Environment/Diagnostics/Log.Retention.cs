using Microsoft.Extensions.Logging;

namespace Runtara.Environment;

/// <summary>Retention's log messages (event ids 5700–5709).</summary>
internal static partial class Log
{
    [LoggerMessage(5700, LogLevel.Information, "Retention deleted {Count} finished runs with their run directories (tenant {Tenant})", EventName = "RunsPurged")]
    public static partial void RunsPurged(ILogger logger, int count, string tenant);

    [LoggerMessage(5701, LogLevel.Information, "Finished instance {InstanceId} of tenant {TenantId} deleted on request", EventName = "InstanceDeleted")]
    public static partial void InstanceDeleted(ILogger logger, string instanceId, string tenantId);
}

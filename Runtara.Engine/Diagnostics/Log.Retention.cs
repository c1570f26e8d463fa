using Microsoft.Extensions.Logging;

namespace Runtara.Engine.Diagnostics;

/// <summary>Retention's log messages (event ids 2700–2709).</summary>
internal static partial class Log
{
    [LoggerMessage(2700, LogLevel.Information, "Retention deleted {Count} finished instances (tenant {Tenant})", EventName = "InstancesPurged")]
    public static partial void InstancesPurged(ILogger logger, int count, string tenant);

    [LoggerMessage(2701, LogLevel.Information, "Finished instance {InstanceId} deleted on request", EventName = "InstanceDeleted")]
    public static partial void InstanceDeleted(ILogger logger, string instanceId);
}

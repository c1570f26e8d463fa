using Microsoft.Extensions.Logging;

namespace Runtara.Core.Diagnostics;

/// <summary>The retention worker's log messages (event ids 2710–2719).</summary>
internal static partial class Log
{
    [LoggerMessage(2710, LogLevel.Warning, "Retention cycle failed; the next cycle tries again", EventName = "RetentionFailed")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);
}

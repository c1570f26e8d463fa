namespace Runtara.Samples.BatchJob;

/// <summary>Source-generated log messages of the batch sample.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "{Done}/{Total} invoices ({Processed} rendered in this run)", EventName = "Progress")]
    public static partial void Progress(ILogger logger, int done, int total, int processed);

    [LoggerMessage(2, LogLevel.Information, "Batch {Period} done: {Processed} rendered now, {Replayed} replayed from checkpoints", EventName = "Done")]
    public static partial void Done(ILogger logger, string period, int processed, int replayed);
}

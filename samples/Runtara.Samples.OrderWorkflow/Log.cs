namespace Runtara.Samples.OrderWorkflow;

/// <summary>Source-generated log messages of the order sample.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Order {OrderId}: relaunched, replaying completed steps", EventName = "Replaying")]
    public static partial void Replaying(ILogger logger, string orderId);

    [LoggerMessage(2, LogLevel.Information, "Order {OrderId}: waiting for the 'approve' signal (under the AppHost: this instance's \"Send signal\" command in the dashboard, signal approve, payload {{\"approved\":true,\"approvedBy\":\"you@example.com\"}}; or: runtara signal {InstanceId} custom approve '{{\"approved\":true,\"approvedBy\":\"you@example.com\"}}'; or: dotnet run --project samples/Runtara.Samples.OrderWorkflow -- approve {InstanceId} you@example.com)", EventName = "WaitingForApproval")]
    public static partial void WaitingForApproval(ILogger logger, string orderId, string instanceId);

    [LoggerMessage(3, LogLevel.Information, "Reserved {Count} line(s) of order {OrderId} as {ReservationId}", EventName = "Reserved")]
    public static partial void Reserved(ILogger logger, int count, string orderId, string reservationId);

    [LoggerMessage(4, LogLevel.Information, "Released reservation {ReservationId}", EventName = "Released")]
    public static partial void Released(ILogger logger, string reservationId);

    [LoggerMessage(5, LogLevel.Information, "Charged {Amount} for order {OrderId} (idempotency key {Key})", EventName = "Charged")]
    public static partial void Charged(ILogger logger, decimal amount, string orderId, string key);

    [LoggerMessage(6, LogLevel.Information, "Refunded {Amount} of payment {PaymentId} (idempotency key {Key})", EventName = "Refunded")]
    public static partial void Refunded(ILogger logger, decimal amount, string paymentId, string key);

    [LoggerMessage(7, LogLevel.Information, "Shipped order {OrderId} from {ReservationId}: {Tracking}", EventName = "Shipped")]
    public static partial void Shipped(ILogger logger, string orderId, string reservationId, string tracking);

    [LoggerMessage(8, LogLevel.Information, "Email to {To}: {Message}", EventName = "Emailed")]
    public static partial void Emailed(ILogger logger, string to, string message);
}

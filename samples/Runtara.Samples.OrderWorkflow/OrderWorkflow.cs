using System.Text.Json;
using System.Text.Json.Serialization;
using Runtara.Sdk;

namespace Runtara.Samples.OrderWorkflow;

/// <summary>The order to fulfil (input.json). An empty input gets a demo order.</summary>
public sealed record Order(
    string OrderId = "order-1001",
    string CustomerEmail = "ada@example.com",
    IReadOnlyList<OrderLine>? Lines = null,
    TimeSpan? ReminderAfter = null)
{
    public IReadOnlyList<OrderLine> Items => Lines ?? [new OrderLine("SKU-RED-MUG", 2, 9.50m), new OrderLine("SKU-TEAPOT", 1, 34.00m)];

    public decimal Total => Items.Sum(l => l.Quantity * l.UnitPrice);
}

public sealed record OrderLine(string Sku, int Quantity, decimal UnitPrice);

/// <summary>What the approver sends with the <c>approve</c> signal.</summary>
public sealed record Approval(bool Approved, string ApprovedBy, string? Comment = null);

public sealed record Reservation(string ReservationId, DateTimeOffset ExpiresAt);

public sealed record Charge(string PaymentId, decimal Amount);

public sealed record Shipment(string TrackingNumber, string Carrier);

/// <summary>The workflow output (COMPLETED event and output.json <c>result</c>).</summary>
public sealed record OrderResult(string OrderId, string Status, string? PaymentId, string? TrackingNumber, string? ApprovedBy, bool ReminderSent);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(OrderResult))]
[JsonSerializable(typeof(Approval))]
[JsonSerializable(typeof(Reservation))]
[JsonSerializable(typeof(Charge))]
[JsonSerializable(typeof(Shipment))]
[JsonSerializable(typeof(bool))]
public sealed partial class OrderJson : JsonSerializerContext;

/// <summary>
/// Reserve stock, charge the card, wait for a person to approve, ship, then sleep durably and send
/// a review reminder. Each external call is a durable step: after a crash, sleep or pause the
/// instance replays from the top and every completed step returns its stored result, so the card
/// is charged once. The step key doubles as the idempotency key sent to each service.
/// </summary>
public sealed class OrderWorkflow(Inventory inventory, Payments payments, Shipping shipping, Notifications notifications, ILogger<OrderWorkflow> logger)
{
    private static readonly RetryPolicy PaymentRetries = new() { MaxAttempts = 5, InitialDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(5) };

    public async Task<OrderResult> RunAsync(WorkflowContext ctx, Order order, CancellationToken ct)
    {
        if (ctx.IsReplaying)
        {
            Log.Replaying(logger, order.OrderId);
        }

        var reservation = await ctx.StepAsync("reserve", token => inventory.ReserveAsync(order, $"{ctx.InstanceId}/reserve", token), OrderJson.Default.Reservation, cancellationToken: ct);
        var charge = await ctx.StepAsync("charge", token => payments.ChargeAsync(order, $"{ctx.InstanceId}/charge", token), OrderJson.Default.Charge, PaymentRetries, ct);

        Log.WaitingForApproval(logger, order.OrderId, ctx.InstanceId);
        var approval = await ctx.WaitForSignalAsync(Approver.Signal, OrderJson.Default.Approval, cancellationToken: ct);
        if (!approval.Approved)
        {
            await ctx.StepAsync("refund", token => payments.RefundAsync(charge, $"{ctx.InstanceId}/refund", token), cancellationToken: ct);
            await ctx.StepAsync("release", token => inventory.ReleaseAsync(reservation, token), cancellationToken: ct);
            return new OrderResult(order.OrderId, "rejected", charge.PaymentId, null, approval.ApprovedBy, false);
        }

        var shipment = await ctx.StepAsync("ship", token => shipping.ShipAsync(order, reservation, $"{ctx.InstanceId}/ship", token), OrderJson.Default.Shipment, cancellationToken: ct);
        await ctx.StepAsync("confirm", token => notifications.SendAsync(order.CustomerEmail, $"Your order {order.OrderId} shipped: {shipment.TrackingNumber}", token), cancellationToken: ct);

        // Durable sleep: a long one suspends the instance and the process exits (output.json
        // "sleeping"); the environment relaunches it after the wake-up time and it continues here.
        await ctx.SleepAsync("review-reminder", order.ReminderAfter ?? TimeSpan.FromDays(3), ct);
        await ctx.StepAsync("remind", token => notifications.SendAsync(order.CustomerEmail, $"How was your order {order.OrderId}? Leave a review.", token), cancellationToken: ct);

        return new OrderResult(order.OrderId, "fulfilled", charge.PaymentId, shipment.TrackingNumber, approval.ApprovedBy, true);
    }
}

namespace Runtara.Samples.OrderWorkflow;

// Stand-ins for the shop's real services: each takes a little time like a network call, logs what
// it does, and honours the idempotency key a real payment or shipping API would take.

public sealed class Inventory(ILogger<Inventory> logger)
{
    public async Task<Reservation> ReserveAsync(Order order, string idempotencyKey, CancellationToken ct)
    {
        await Task.Delay(50, ct);
        var reservation = new Reservation($"res-{Math.Abs(idempotencyKey.GetHashCode(StringComparison.Ordinal)):x}", DateTimeOffset.UtcNow.AddDays(7));
        Log.Reserved(logger, order.Items.Count, order.OrderId, reservation.ReservationId);
        return reservation;
    }

    public async Task ReleaseAsync(Reservation reservation, CancellationToken ct)
    {
        await Task.Delay(20, ct);
        Log.Released(logger, reservation.ReservationId);
    }
}

public sealed class Payments(ILogger<Payments> logger)
{
    private int _calls;

    public async Task<Charge> ChargeAsync(Order order, string idempotencyKey, CancellationToken ct)
    {
        await Task.Delay(80, ct);

        // The gateway is flaky on the first call of each process: the step's retry policy handles it
        // (each retry is recorded with the core).
        if (Interlocked.Increment(ref _calls) == 1)
        {
            throw new HttpRequestException("payment gateway returned 503 Service Unavailable");
        }

        Log.Charged(logger, order.Total, order.OrderId, idempotencyKey);
        return new Charge($"pay-{Guid.NewGuid():N}"[..16], order.Total);
    }

    public async Task RefundAsync(Charge charge, string idempotencyKey, CancellationToken ct)
    {
        await Task.Delay(60, ct);
        Log.Refunded(logger, charge.Amount, charge.PaymentId, idempotencyKey);
    }
}

public sealed class Shipping(ILogger<Shipping> logger)
{
    public async Task<Shipment> ShipAsync(Order order, Reservation reservation, string idempotencyKey, CancellationToken ct)
    {
        await Task.Delay(70, ct);
        var shipment = new Shipment($"1Z{Math.Abs(idempotencyKey.GetHashCode(StringComparison.Ordinal)):D10}", "UPS");
        Log.Shipped(logger, order.OrderId, reservation.ReservationId, shipment.TrackingNumber);
        return shipment;
    }
}

public sealed class Notifications(ILogger<Notifications> logger)
{
    public async Task SendAsync(string to, string message, CancellationToken ct)
    {
        await Task.Delay(10, ct);
        Log.Emailed(logger, to, message);
    }
}

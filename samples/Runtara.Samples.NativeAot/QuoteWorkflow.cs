using System.Text.Json.Serialization;
using Runtara.Sdk;

namespace Runtara.Samples.NativeAot;

/// <summary>What to price (input.json); an empty input prices one unit of <c>sku-1</c>.</summary>
public sealed record QuoteRequest(string Sku = "sku-1", int Quantity = 1);

/// <summary>The priced quote: the step's checkpointed result and the instance's output.</summary>
public sealed record Quote(string Sku, int Quantity, decimal UnitPrice, decimal Total, DateTimeOffset PricedAt);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(QuoteRequest))]
[JsonSerializable(typeof(Quote))]
public sealed partial class QuoteJson : JsonSerializerContext;

/// <summary>
/// Prices a request in one durable step. The quote is checkpointed, so a relaunch with the same
/// instance id returns the same quote (same price, same <see cref="Quote.PricedAt"/>) instead of
/// pricing again.
/// </summary>
public static class QuoteWorkflow
{
    public static Task<Quote> RunAsync(WorkflowContext ctx, QuoteRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Quantity <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Quantity, "quantity must be positive");
        }

        return ctx.StepAsync(
            "price",
            _ =>
            {
                var unitPrice = PriceList.UnitPrice(request.Sku, request.Quantity);
                return Task.FromResult(new Quote(request.Sku, request.Quantity, unitPrice, unitPrice * request.Quantity, DateTimeOffset.UtcNow));
            },
            QuoteJson.Default.Quote,
            cancellationToken: ct);
    }
}

/// <summary>A tiny price list with a volume discount, standing in for a pricing service.</summary>
internal static class PriceList
{
    public static decimal UnitPrice(string sku, int quantity)
    {
        // A stable per-SKU base price between 5.00 and 54.99, 10 % off from 100 units.
        var basePrice = 5m + (StableHash(sku) % 5000) / 100m;
        return quantity >= 100 ? decimal.Round(basePrice * 0.9m, 2) : basePrice;
    }

    private static uint StableHash(string value)
    {
        // FNV-1a: string.GetHashCode is randomised per process, and a replay must price the same.
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}

using System.Text.Json.Serialization;
using Runtara.Sdk;

namespace Runtara.Samples.NativeAot;

/// <summary>
/// What to price (input.json); an empty input prices one unit of <c>sku-1</c>. <c>WaitFor</c>
/// (opt-in, what the wait-wake benchmark sets) names a signal to wait for after pricing, whose
/// <see cref="Approval"/> payload says who approved the quote; null prices and ends at once.
/// </summary>
public sealed record QuoteRequest(string Sku = "sku-1", int Quantity = 1, string? WaitFor = null);

/// <summary>
/// The priced quote: the step's checkpointed result and the instance's output; <see cref="ApprovedBy"/>
/// is set only after a <see cref="QuoteRequest.WaitFor"/> wait (and left out of the JSON otherwise, so
/// the output without one stays as it was).
/// </summary>
public sealed record Quote(string Sku, int Quantity, decimal UnitPrice, decimal Total, DateTimeOffset PricedAt)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ApprovedBy { get; init; }
}

/// <summary>The payload of the signal a <see cref="QuoteRequest.WaitFor"/> quote waits for, e.g. <c>{"by":"alice"}</c>.</summary>
public sealed record Approval(string By);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(QuoteRequest))]
[JsonSerializable(typeof(Quote))]
[JsonSerializable(typeof(Approval))]
public sealed partial class QuoteJson : JsonSerializerContext;

/// <summary>
/// Prices a request in one durable step. The quote is checkpointed, so a relaunch with the same
/// instance id returns the same quote (same price, same <see cref="Quote.PricedAt"/>) instead of
/// pricing again. With <see cref="QuoteRequest.WaitFor"/> it then waits durably for that signal (the
/// process exits after the wait grace period and the instance is relaunched when the signal comes).
/// </summary>
public static class QuoteWorkflow
{
    public static async Task<Quote> RunAsync(WorkflowContext ctx, QuoteRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Quantity <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Quantity, "quantity must be positive");
        }

        var quote = await ctx.StepAsync(
            "price",
            _ =>
            {
                var unitPrice = PriceList.UnitPrice(request.Sku, request.Quantity);
                return Task.FromResult(new Quote(request.Sku, request.Quantity, unitPrice, unitPrice * request.Quantity, DateTimeOffset.UtcNow));
            },
            QuoteJson.Default.Quote,
            cancellationToken: ct);
        if (request.WaitFor is not { } signal)
        {
            return quote;
        }

        var approval = await ctx.WaitForSignalAsync(signal, QuoteJson.Default.Approval, cancellationToken: ct);
        return quote with { ApprovedBy = approval.By };
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

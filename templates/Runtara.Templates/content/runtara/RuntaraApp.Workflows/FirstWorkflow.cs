using System.Text.Json.Serialization;
using Runtara.Sdk;

namespace RuntaraApp.Workflows;

/// <summary>The workflow's input (input.json); <see cref="ReminderAfter"/> is how long to sleep durably before the reminder.</summary>
public sealed record OrderRequest(string OrderId, TimeSpan ReminderAfter);

/// <summary>What the first step checkpoints: a relaunched instance gets this back instead of reserving again.</summary>
public sealed record Reservation(string OrderId, string ReservationId, DateTimeOffset ReservedAt);

/// <summary>The payload of the <c>approve</c> signal, e.g. <c>{"approved":true,"by":"ann"}</c>.</summary>
public sealed record Approval(bool Approved, string By);

/// <summary>The instance's output.</summary>
public sealed record OrderResult(string OrderId, string ReservationId, string Status, string? ApprovedBy, DateTimeOffset? RemindedAt);

/// <summary>Source-generated JSON: no reflection, so the workflow also runs compiled ahead of time.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OrderRequest))]
[JsonSerializable(typeof(Reservation))]
[JsonSerializable(typeof(Approval))]
[JsonSerializable(typeof(OrderResult))]
[JsonSerializable(typeof(DateTimeOffset))]
public sealed partial class WorkflowJson : JsonSerializerContext;

/// <summary>
/// A first durable workflow: reserve (a step), wait for the <c>approve</c> signal (the process may exit while it
/// waits; the environment relaunches it when the signal comes), sleep durably, then send the reminder (a step).
/// Every step's result is checkpointed, so a crash at any point replays what was done instead of redoing it.
/// </summary>
public static class FirstWorkflow
{
    public static async Task<OrderResult> RunAsync(WorkflowContext ctx, OrderRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(request);

        var reservation = await ctx.StepAsync(
            "reserve",
            _ => Task.FromResult(new Reservation(request.OrderId, $"res-{request.OrderId}", DateTimeOffset.UtcNow)),
            WorkflowJson.Default.Reservation,
            cancellationToken: ct);

        var approval = await ctx.WaitForSignalAsync("approve", WorkflowJson.Default.Approval, cancellationToken: ct);
        if (!approval.Approved)
        {
            return new OrderResult(request.OrderId, reservation.ReservationId, "rejected", approval.By, null);
        }

        await ctx.SleepAsync("reminder", request.ReminderAfter, ct);
        var reminded = await ctx.StepAsync(
            "remind",
            _ => Task.FromResult(DateTimeOffset.UtcNow),
            WorkflowJson.Default.DateTimeOffset,
            cancellationToken: ct);
        return new OrderResult(request.OrderId, reservation.ReservationId, "approved", approval.By, reminded);
    }
}

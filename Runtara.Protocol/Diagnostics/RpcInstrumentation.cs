using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Runtara.Diagnostics;

/// <summary>
/// Spans and metrics of the RPC layer: a client span and a server span per RPC, named
/// <c>{package}/{Method}</c>, with the trace context carried in the request envelope.
/// </summary>
internal static class RpcInstrumentation
{
    public static readonly ActivitySource Source = new(RuntaraTelemetry.Protocol, typeof(RpcInstrumentation).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(RuntaraTelemetry.Protocol, typeof(RpcInstrumentation).Assembly.GetName().Version?.ToString());

    public static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>(
        "runtara.rpc.server.duration", unit: "s", description: "Duration of RPCs handled by the server.");

    public static readonly Histogram<double> ClientDuration = Meter.CreateHistogram<double>(
        "runtara.rpc.client.duration", unit: "s", description: "Duration of RPCs made by clients, including connection set-up.");

    public static readonly UpDownCounter<long> ActiveConnections = Meter.CreateUpDownCounter<long>(
        "runtara.rpc.server.active_connections", unit: "{connection}", description: "Open server connections.");

    public static readonly Counter<long> RejectedConnections = Meter.CreateCounter<long>(
        "runtara.rpc.server.rejected_connections", unit: "{connection}", description: "Connections refused by a server limit.");

    public static readonly Counter<long> FrameErrors = Meter.CreateCounter<long>(
        "runtara.rpc.server.frame_errors", unit: "{frame}", description: "Malformed, oversize or unexpected frames received.");

    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>(
        "runtara.rpc.server.rate_limited", unit: "{call}", description: "RPCs refused by the per-connection rate limit.");

    public static readonly Counter<long> AuthFailures = Meter.CreateCounter<long>(
        "runtara.rpc.server.auth_failures", unit: "{call}", description: "RPCs refused as UNAUTHENTICATED or PERMISSION_DENIED.");

    public static TagList Tags(string service, string method, string? errorCode)
    {
        var tags = new TagList
        {
            { "rpc.system", "runtara" },
            { "rpc.service", service },
            { "rpc.method", method },
        };
        if (errorCode is not null)
        {
            tags.Add("error.type", errorCode);
        }

        return tags;
    }
}

using System.Net;
using System.Net.Quic;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Runtara.Diagnostics;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// Connects to the first server of a list that accepts, for clients given several addresses
/// (<c>host1:port1,host2:port2</c>: several cores over one database, docs/core.md "Several cores").
/// Sticky: it starts where the last connection succeeded, so a client stays on the server that
/// works and moves on (in list order, wrapping around) only when connecting there fails. Only
/// connection failures move on (refused, reset, unreachable, timed out); a TLS failure or an answered
/// error is the call's own, since every server of the list presents the same certificate and rules.
/// </summary>
internal sealed class FailoverConnector : ITransportConnector
{
    private readonly IReadOnlyList<Target> _targets;
    private readonly ILogger _logger;
    private int _current;

    public FailoverConnector(IReadOnlyList<Target> targets, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0)
        {
            throw new ArgumentException("At least one server is needed.", nameof(targets));
        }

        _targets = targets;
        _logger = logger;
    }

    /// <inheritdoc />
    public TransportKind Kind => _targets[0].Connector.Kind;

    /// <summary>The address the next connection is tried at first: the one that last accepted.</summary>
    public string CurrentAddress => _targets[Volatile.Read(ref _current)].Address;

    /// <summary>Connects to the current server, else to the next ones in turn; <paramref name="endPoint"/> is ignored (each target has its own).</summary>
    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref _current);
        Exception? last = null;
        for (var i = 0; i < _targets.Count; i++)
        {
            var index = (start + i) % _targets.Count;
            var target = _targets[index];
            try
            {
                var connection = await target.Connector.ConnectAsync(target.EndPoint, cancellationToken).ConfigureAwait(false);
                if (index != start && Interlocked.CompareExchange(ref _current, index, start) == start)
                {
                    Log.FailedOver(_logger, _targets[start].Address, target.Address);
                }

                return connection;
            }
            catch (Exception ex) when (IsConnectFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
                if (i + 1 < _targets.Count)
                {
                    Log.ServerUnreachableTryingNext(_logger, target.Address, _targets[(index + 1) % _targets.Count].Address, ex.Message);
                }
            }
        }

        throw new RpcException(
            RpcErrorCodes.Unavailable,
            $"cannot connect to any of {string.Join(",", _targets.Select(t => t.Address))}: {last!.Message}",
            last);
    }

    /// <summary>A failure to reach the server at all, as opposed to one it answered (TLS, RPC errors).</summary>
    internal static bool IsConnectFailure(Exception ex) =>
        ex is RpcException { Code: RpcErrorCodes.Unavailable } or SocketException or QuicException
        || (ex is IOException && ex.InnerException is SocketException or null);

    /// <summary>One server of the list: how to connect to it, where, and its address as configured.</summary>
    internal sealed record Target(ITransportConnector Connector, EndPoint EndPoint, string Address);
}

using System.Net;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>An exchange borrowed from a channel; give it back with <see cref="ReleaseAsync"/>.</summary>
internal sealed class RpcLease(IRpcStream stream, ITransportConnection connection, bool reused, Func<RpcLease, bool, ValueTask> release)
{
    private int _released;

    public IRpcStream Stream { get; } = stream;

    public ITransportConnection Connection { get; } = connection;

    /// <summary>True when the connection had served earlier exchanges (a failure may just mean it went stale).</summary>
    public bool Reused { get; } = reused;

    /// <summary>Ends the exchange; an unhealthy one is torn down instead of reused.</summary>
    public ValueTask ReleaseAsync(bool healthy)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        if (!healthy)
        {
            Stream.Abort();
        }

        return release(this, healthy);
    }
}

/// <summary>Hands out exchanges to a server, connecting (and reconnecting) as needed.</summary>
internal abstract class RpcChannel(ITransportConnector connector, EndPoint endPoint) : IAsyncDisposable
{
    protected ITransportConnector Connector { get; } = connector;

    protected EndPoint EndPoint { get; } = endPoint;

    /// <summary>
    /// Lends an exchange. <paramref name="verifyIdle"/>: check that a pooled connection is still open
    /// even when it served a call a moment ago (see <see cref="PooledChannel"/>).
    /// </summary>
    public abstract ValueTask<RpcLease> AcquireAsync(bool verifyIdle, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public static RpcChannel Create(ITransportConnector connector, EndPoint endPoint, int maxConnections) =>
        connector.Kind == TransportKind.Quic
            ? new MultiplexedChannel(connector, endPoint, maxConnections)
            : new PooledChannel(connector, endPoint, maxConnections);
}

/// <summary>
/// TLS/TCP: a pool of connections, each lent to one exchange at a time. The most recently returned
/// connection is lent first. Checking that an idle connection is still open costs a <c>poll</c> system
/// call, so it is skipped for one returned less than <see cref="RecentlyUsedMs"/> ago unless the caller
/// asks for it: if the server closed it in that moment, a unary call fails on it before anything was
/// processed and the client retries once on a verified connection (one-way sends and uploads always
/// verify, see <see cref="RpcClient{TRequest,TResponse}"/>).
/// </summary>
internal sealed class PooledChannel : RpcChannel
{
    private const long RecentlyUsedMs = 1_000;

    private readonly Stack<(ITransportConnection Connection, long ReturnedAtMs)> _idle = new();
    private readonly SemaphoreSlim _slots;
    private readonly Func<RpcLease, bool, ValueTask> _release;
    private volatile bool _disposed;

    public PooledChannel(ITransportConnector connector, EndPoint endPoint, int maxConnections)
        : base(connector, endPoint)
    {
        _slots = new SemaphoreSlim(maxConnections, maxConnections);
        _release = ReleaseAsync;
    }

    public override async ValueTask<RpcLease> AcquireAsync(bool verifyIdle, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (TryTakeIdle(out var idle, out var returnedAtMs))
            {
                if ((!verifyIdle && System.Environment.TickCount64 - returnedAtMs < RecentlyUsedMs) || idle.IsUsable)
                {
                    return new RpcLease(await idle.OpenStreamAsync(cancellationToken).ConfigureAwait(false), idle, reused: true, _release);
                }

                await idle.DisposeAsync().ConfigureAwait(false);
            }

            var connection = await Connector.ConnectAsync(EndPoint, cancellationToken).ConfigureAwait(false);
            return new RpcLease(await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false), connection, reused: false, _release);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (TryTakeIdle(out var connection, out _))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private bool TryTakeIdle(out ITransportConnection connection, out long returnedAtMs)
    {
        lock (_idle)
        {
            if (_idle.TryPop(out var entry))
            {
                (connection, returnedAtMs) = entry;
                return true;
            }
        }

        connection = null!;
        returnedAtMs = 0;
        return false;
    }

    private async ValueTask ReleaseAsync(RpcLease lease, bool healthy)
    {
        try
        {
            await lease.Stream.DisposeAsync().ConfigureAwait(false);
            if (healthy && !_disposed)
            {
                lock (_idle)
                {
                    _idle.Push((lease.Connection, System.Environment.TickCount64));
                }
            }
            else
            {
                await lease.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _slots.Release();
        }
    }
}

/// <summary>
/// QUIC: one shared connection, and a pool of its bidirectional streams, each lent to one exchange at
/// a time as <see cref="PooledChannel"/> lends TCP connections (opening and closing a stream per call
/// cost several times a TCP round trip in CPU and allocations, docs/performance.md). The most recently
/// returned stream is lent first; one the server ended or reset, or whose connection closed, is
/// dropped (checking costs no system call). At most <c>maxConnections</c> exchanges run at once, so the
/// pool stays within the server's stream limit. Reconnects when the connection drops.
/// </summary>
internal sealed class MultiplexedChannel : RpcChannel
{
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Stack<(IRpcStream Stream, ITransportConnection Connection)> _idle = new();
    private readonly SemaphoreSlim _slots;
    private readonly Func<RpcLease, bool, ValueTask> _release;
    private ITransportConnection? _connection;
    private volatile bool _disposed;

    public MultiplexedChannel(ITransportConnector connector, EndPoint endPoint, int maxStreams)
        : base(connector, endPoint)
    {
        _slots = new SemaphoreSlim(maxStreams, maxStreams);
        _release = ReleaseAsync;
    }

    public override async ValueTask<RpcLease> AcquireAsync(bool verifyIdle, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (TryTakeIdle(out var idle))
            {
                if (idle.Stream.IsUsable && idle.Connection.IsUsable)
                {
                    return new RpcLease(idle.Stream, idle.Connection, reused: true, _release);
                }

                await idle.Stream.DisposeAsync().ConfigureAwait(false);
            }

            return await OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    /// <summary>A new stream on the shared connection (made when missing or closed).</summary>
    private async ValueTask<RpcLease> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = _connection;
        var reused = true;
        if (connection is null || !connection.IsUsable)
        {
            (connection, reused) = await ConnectAsync(dead: null, cancellationToken).ConfigureAwait(false);
        }

        IRpcStream stream;
        try
        {
            stream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (reused && ex is not OperationCanceledException && !_disposed)
        {
            // A connection that served earlier calls may have died without a sign since (the server
            // restarted: QUIC learns it only when a stream is opened). One new connection is tried;
            // a failure on that one is the caller's.
            (connection, _) = await ConnectAsync(dead: connection, cancellationToken).ConfigureAwait(false);
            reused = false;
            stream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        }

        return new RpcLease(stream, connection, reused, _release);
    }

    /// <summary>The shared connection, replaced when it is missing, unusable or <paramref name="dead"/>; whether it was made now.</summary>
    private async ValueTask<(ITransportConnection Connection, bool Reused)> ConnectAsync(ITransportConnection? dead, CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = _connection;
            if (connection is not null && connection.IsUsable && !ReferenceEquals(connection, dead))
            {
                // Another caller replaced it meanwhile.
                return (connection, true);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            _connection = null;
            connection = _connection = await Connector.ConnectAsync(EndPoint, cancellationToken).ConfigureAwait(false);
            return (connection, false);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private bool TryTakeIdle(out (IRpcStream Stream, ITransportConnection Connection) idle)
    {
        lock (_idle)
        {
            return _idle.TryPop(out idle);
        }
    }

    private async ValueTask ReleaseAsync(RpcLease lease, bool healthy)
    {
        try
        {
            if (healthy && !_disposed && lease.Stream.IsUsable)
            {
                lease.Stream.Reader.Release();
                lock (_idle)
                {
                    _idle.Push((lease.Stream, lease.Connection));
                }
            }
            else
            {
                await lease.Stream.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (TryTakeIdle(out var idle))
        {
            await idle.Stream.DisposeAsync().ConfigureAwait(false);
        }

        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

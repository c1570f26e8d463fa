using System.Collections.Concurrent;
using System.Net;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// What a server knows about one client connection. <see cref="Identity"/> is the slot that
/// authentication fills (e.g. the instance a credential was presented for) and authorization reads.
/// </summary>
public sealed class RpcConnectionContext
{
    private object? _identity;

    public RpcConnectionContext(long id, TransportKind transport, EndPoint remoteEndPoint)
    {
        Id = id;
        Transport = transport;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>Server-unique connection number.</summary>
    public long Id { get; }

    /// <summary>The transport the connection uses.</summary>
    public TransportKind Transport { get; }

    /// <summary>The client's address.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>The authenticated identity bound to this connection, if any.</summary>
    public object? Identity
    {
        get => Volatile.Read(ref _identity);
        set => Volatile.Write(ref _identity, value);
    }

    /// <summary>Per-connection state for handlers.</summary>
    public ConcurrentDictionary<string, object?> Items { get; } = new(StringComparer.Ordinal);
}

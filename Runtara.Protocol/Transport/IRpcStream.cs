using System.Net;
using Runtara.Protocol.Framing;

namespace Runtara.Protocol.Transport;

/// <summary>
/// The duplex channel one RPC exchange runs on. On QUIC it is a bidirectional stream used once;
/// on TCP and Unix sockets it is the connection itself, reused by sequential exchanges.
/// </summary>
public interface IRpcStream : IAsyncDisposable
{
    /// <summary>Reads frames sent by the peer.</summary>
    FrameReader Reader { get; }

    /// <summary>Writes frames to the peer.</summary>
    FrameWriter Writer { get; }

    /// <summary>
    /// Ends this exchange's outbound direction: QUIC sends FIN; TCP does nothing because exchanges
    /// are delimited by their frames.
    /// </summary>
    ValueTask CompleteWritesAsync(CancellationToken cancellationToken);

    /// <summary>Tears the exchange down after a failure (QUIC: abort the stream; TCP: close the connection).</summary>
    void Abort();

    /// <summary>
    /// Server side, after the last answer on a connection that is about to close while the peer may
    /// still be sending (e.g. after FRAME_TOO_LARGE): TCP and Unix sockets end their sending side and
    /// read and discard what the peer sends, up to <paramref name="maxBytes"/> or until
    /// <paramref name="cancellationToken"/> fires, so closing does not reset the connection and destroy
    /// the answer before the peer reads it. QUIC does nothing (FIN already ended the stream).
    /// </summary>
    ValueTask CloseGracefullyAsync(long maxBytes, CancellationToken cancellationToken);
}

/// <summary>A connection between a client and a server.</summary>
public interface ITransportConnection : IAsyncDisposable
{
    /// <summary>The transport in use.</summary>
    TransportKind Kind { get; }

    /// <summary>The peer's address.</summary>
    EndPoint RemoteEndPoint { get; }

    /// <summary>True when the connection carries many exchanges at once (QUIC); false when one at a time (TCP, Unix sockets).</summary>
    bool MultiplexesStreams { get; }

    /// <summary>True until the connection is known to be closed.</summary>
    bool IsUsable { get; }

    /// <summary>Completes the server side of the handshake (TLS on TCP; QUIC handshakes in the listener; nothing on a Unix socket).</summary>
    ValueTask AuthenticateAsServerAsync(CancellationToken cancellationToken);

    /// <summary>Server side: waits for the peer's next exchange; <c>null</c> when the peer closed the connection.</summary>
    ValueTask<IRpcStream?> AcceptStreamAsync(CancellationToken cancellationToken);

    /// <summary>Client side: starts a new exchange.</summary>
    ValueTask<IRpcStream> OpenStreamAsync(CancellationToken cancellationToken);
}

/// <summary>Accepts connections on one transport.</summary>
public interface ITransportListener : IAsyncDisposable
{
    /// <summary>The transport in use.</summary>
    TransportKind Kind { get; }

    /// <summary>The bound address (the real port when 0 was asked for; the socket path of a Unix socket).</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>Waits for the next connection.</summary>
    ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken);
}

/// <summary>Opens client connections on one transport.</summary>
public interface ITransportConnector
{
    /// <summary>The transport in use.</summary>
    TransportKind Kind { get; }

    /// <summary>Connects and completes the handshake.</summary>
    ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken);
}

using System.Net;
using Runtara.Protocol.Framing;

namespace Runtara.Protocol.Transport;

/// <summary>
/// The duplex channel RPC exchanges run on, one exchange at a time, each delimited by its frames: on
/// QUIC a bidirectional stream, on TCP and Unix sockets the connection itself.
/// </summary>
public interface IRpcStream : IAsyncDisposable
{
    /// <summary>Reads frames sent by the peer.</summary>
    FrameReader Reader { get; }

    /// <summary>Writes frames to the peer.</summary>
    FrameWriter Writer { get; }

    /// <summary>True until the stream is known to be ended, reset or broken (then no exchange may follow on it).</summary>
    bool IsUsable { get; }

    /// <summary>Tears the exchange down after a failure (QUIC: abort the stream; TCP: close the connection).</summary>
    void Abort();

    /// <summary>
    /// Server side, after the last answer on a stream or connection that is about to close while the
    /// peer may still be sending (e.g. after FRAME_TOO_LARGE): TCP and Unix sockets end their sending
    /// side and read and discard what the peer sends, up to <paramref name="maxBytes"/> or until
    /// <paramref name="cancellationToken"/> fires, so closing does not reset the connection and destroy
    /// the answer before the peer reads it. QUIC sends FIN on the stream (its reads end with it).
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

using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Runtara.Protocol.Transport.Tcp;

/// <summary>Accepts TLS-over-TCP connections. The TLS handshake runs in the connection's own task.</summary>
internal sealed class TcpTransportListener : ITransportListener
{
    private readonly Socket _socket;
    private readonly SslServerAuthenticationOptions _tls;
    private readonly int _maxFrameSize;

    private TcpTransportListener(Socket socket, SslServerAuthenticationOptions tls, int maxFrameSize)
    {
        _socket = socket;
        _tls = tls;
        _maxFrameSize = maxFrameSize;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public TransportKind Kind => TransportKind.Tcp;

    public IPEndPoint LocalEndPoint { get; }

    public static TcpTransportListener Bind(IPEndPoint endPoint, SslServerAuthenticationOptions tls, int maxFrameSize, int backlog)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            socket.Listen(backlog);
            return new TcpTransportListener(socket, tls, maxFrameSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        var socket = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        return TcpTransportConnection.ForServer(socket, _tls, _maxFrameSize);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Net;
using System.Net.Security;

namespace Runtara.Protocol.Transport.Sockets;

/// <summary>Opens stream-socket client connections: TLS over TCP, or plain over a Unix domain socket when <paramref name="tls"/> is null.</summary>
internal sealed class SocketTransportConnector(SslClientAuthenticationOptions? tls, int maxFrameSize) : ITransportConnector
{
    public TransportKind Kind => tls is null ? TransportKind.Unix : TransportKind.Tcp;

    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken) =>
        await SocketTransportConnection.ConnectAsync(endPoint, tls, maxFrameSize, cancellationToken).ConfigureAwait(false);
}

using System.Net;
using System.Net.Security;

namespace Runtara.Protocol.Transport.Tcp;

/// <summary>Opens TLS-over-TCP client connections.</summary>
internal sealed class TcpTransportConnector(SslClientAuthenticationOptions tls, int maxFrameSize) : ITransportConnector
{
    public TransportKind Kind => TransportKind.Tcp;

    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken) =>
        await TcpTransportConnection.ConnectAsync(endPoint, tls, maxFrameSize, cancellationToken).ConfigureAwait(false);
}

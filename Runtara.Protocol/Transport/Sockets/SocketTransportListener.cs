using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Runtara.Protocol.Transport.Sockets;

/// <summary>
/// Accepts stream-socket connections: TLS over TCP, or plain on a Unix domain socket. A TLS
/// handshake runs in the connection's own task.
/// </summary>
internal sealed class SocketTransportListener : ITransportListener
{
    private readonly Socket _socket;
    private readonly SslServerAuthenticationOptions? _tls;
    private readonly int _maxFrameSize;

    private SocketTransportListener(Socket socket, SslServerAuthenticationOptions? tls, int maxFrameSize)
    {
        _socket = socket;
        _tls = tls;
        _maxFrameSize = maxFrameSize;
        LocalEndPoint = socket.LocalEndPoint!;
    }

    public TransportKind Kind => _socket.AddressFamily == AddressFamily.Unix ? TransportKind.Unix : TransportKind.Tcp;

    public EndPoint LocalEndPoint { get; }

    public static SocketTransportListener BindTcp(IPEndPoint endPoint, SslServerAuthenticationOptions tls, int maxFrameSize, int backlog)
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
            return new SocketTransportListener(socket, tls, maxFrameSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Listens on a Unix domain socket at <paramref name="path"/>, replacing a socket file a previous
    /// server left (a file of another kind there is an error, never deleted). The file is made
    /// connectable by every local user, like a port on loopback: the per-call credential decides what
    /// a caller may do (docs/security.md).
    /// </summary>
    public static SocketTransportListener BindUnix(string path, int maxFrameSize, int backlog)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        RemoveStaleSocket(path);

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
            }

            socket.Listen(backlog);
            return new SocketTransportListener(socket, tls: null, maxFrameSize);
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
        return SocketTransportConnection.ForServer(socket, _tls, _maxFrameSize);
    }

    public ValueTask DisposeAsync()
    {
        // .NET unlinks the file of a Unix socket it bound when the socket is disposed.
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Deletes the socket file a stopped (or killed) server left at <paramref name="path"/>. A live
    /// server there, or a file with content (not a socket), is an error, never deleted.
    /// </summary>
    private static void RemoveStaleSocket(string path)
    {
        var existing = new FileInfo(path);
        if (!existing.Exists)
        {
            return;
        }

        if (existing.Length > 0)
        {
            throw new IOException($"'{path}' exists and is not a socket; refusing to replace it.");
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new IOException($"Another server is listening on '{path}'.");
            }
            catch (SocketException)
            {
                // Nobody listens: a stale socket file.
            }
        }

        File.Delete(path);
    }
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Security;

namespace Runtara.Testing;

/// <summary>A bare connection (TLS over TCP, or a Unix socket) that writes arbitrary bytes, for hostile-input tests.</summary>
public sealed class RawFrameClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;

    private RawFrameClient(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
        Reader = new FrameReader(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)));
    }

    public FrameReader Reader { get; }

    /// <summary>Connects over TLS to 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<RawFrameClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [TlsDefaults.ApplicationProtocol],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        return new RawFrameClient(socket, ssl);
    }

    /// <summary>Connects to the Unix domain socket at <paramref name="path"/> (plain frames).</summary>
    public static async Task<RawFrameClient> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new RawFrameClient(socket, new NetworkStream(socket, ownsSocket: true));
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads the next frame's type and payload; null when the server closed the connection.</summary>
    public async Task<(FrameType Type, byte[] Payload)?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            var frame = await Reader.ReadAsync(cancellation.Token);
            if (frame is not { } f)
            {
                return null;
            }

            var result = (f.Type, System.Buffers.BuffersExtensions.ToArray(f.Payload));
            Reader.Release();
            return result;
        }
        catch (Exception ex) when (ex is IOException or FrameException { Error: FrameError.IncompleteHeader or FrameError.IncompletePayload })
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Security;

namespace Runtara.Testing;

/// <summary>A bare TLS connection that writes arbitrary bytes, for hostile-input tests.</summary>
public sealed class RawTlsClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _ssl;

    private RawTlsClient(TcpClient tcp, SslStream ssl)
    {
        _tcp = tcp;
        _ssl = ssl;
        Reader = new FrameReader(PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true)));
    }

    public FrameReader Reader { get; }

    public static async Task<RawTlsClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [TlsDefaults.ApplicationProtocol],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        return new RawTlsClient(tcp, ssl);
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        await _ssl.WriteAsync(bytes);
        await _ssl.FlushAsync();
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
        await _ssl.DisposeAsync();
        _tcp.Dispose();
    }
}

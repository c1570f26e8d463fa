using System.IO.Pipelines;
using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using Runtara.Protocol.Framing;

namespace Runtara.Protocol.Transport.Quic;

/// <summary>QUIC settings (SPEC §2: client keep-alive 10 s, idle timeout 30 s).</summary>
internal sealed record QuicSettings(TimeSpan KeepAliveInterval, TimeSpan IdleTimeout, int MaxBidirectionalStreams, int MaxFrameSize);

/// <summary>Accepts QUIC connections (ALPN <c>runtara/1</c>); msquic completes handshakes before they are returned.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicTransportListener : ITransportListener
{
    private readonly QuicListener _listener;
    private readonly QuicSettings _settings;

    private QuicTransportListener(QuicListener listener, QuicSettings settings)
    {
        _listener = listener;
        _settings = settings;
    }

    public TransportKind Kind => TransportKind.Quic;

    public EndPoint LocalEndPoint => _listener.LocalEndPoint;

    public static async ValueTask<QuicTransportListener> BindAsync(
        IPEndPoint endPoint, SslServerAuthenticationOptions tls, QuicSettings settings, int backlog, CancellationToken cancellationToken)
    {
        var connectionOptions = new QuicServerConnectionOptions
        {
            DefaultStreamErrorCode = QuicErrorCodes.StreamAborted,
            DefaultCloseErrorCode = QuicErrorCodes.Closed,
            ServerAuthenticationOptions = tls,
            MaxInboundBidirectionalStreams = settings.MaxBidirectionalStreams,
            MaxInboundUnidirectionalStreams = 0,
            IdleTimeout = settings.IdleTimeout,
            KeepAliveInterval = settings.KeepAliveInterval,
        };
        var listener = await QuicListener.ListenAsync(
            new QuicListenerOptions
            {
                ListenEndPoint = endPoint,
                ListenBacklog = backlog,
                ApplicationProtocols = [Security.TlsDefaults.ApplicationProtocol],
                ConnectionOptionsCallback = (_, _, _) => ValueTask.FromResult(connectionOptions),
            },
            cancellationToken).ConfigureAwait(false);
        return new QuicTransportListener(listener, settings);
    }

    public async ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        var connection = await _listener.AcceptConnectionAsync(cancellationToken).ConfigureAwait(false);
        return new QuicTransportConnection(connection, _settings.MaxFrameSize);
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}

/// <summary>Opens QUIC client connections.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicTransportConnector(SslClientAuthenticationOptions tls, QuicSettings settings) : ITransportConnector
{
    public TransportKind Kind => TransportKind.Quic;

    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var connection = await QuicConnection.ConnectAsync(
            new QuicClientConnectionOptions
            {
                RemoteEndPoint = endPoint,
                DefaultStreamErrorCode = QuicErrorCodes.StreamAborted,
                DefaultCloseErrorCode = QuicErrorCodes.Closed,
                ClientAuthenticationOptions = tls,
                MaxInboundBidirectionalStreams = 0,
                MaxInboundUnidirectionalStreams = 0,
                IdleTimeout = settings.IdleTimeout,
                KeepAliveInterval = settings.KeepAliveInterval,
            },
            cancellationToken).ConfigureAwait(false);
        return new QuicTransportConnection(connection, settings.MaxFrameSize);
    }
}

/// <summary>A QUIC connection: every exchange is its own bidirectional stream (SPEC §3.2).</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicTransportConnection(QuicConnection connection, int maxFrameSize) : ITransportConnection
{
    private int _closed;

    public TransportKind Kind => TransportKind.Quic;

    public EndPoint RemoteEndPoint => connection.RemoteEndPoint;

    public bool MultiplexesStreams => true;

    public bool IsUsable => Volatile.Read(ref _closed) == 0;

    public ValueTask AuthenticateAsServerAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask<IRpcStream?> AcceptStreamAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stream = await connection.AcceptInboundStreamAsync(cancellationToken).ConfigureAwait(false);
            return new QuicRpcStream(stream, maxFrameSize);
        }
        catch (QuicException ex) when (ex.QuicError is QuicError.ConnectionAborted or QuicError.ConnectionIdle or QuicError.OperationAborted or QuicError.ConnectionTimeout)
        {
            Volatile.Write(ref _closed, 1);
            return null;
        }
    }

    public async ValueTask<IRpcStream> OpenStreamAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cancellationToken).ConfigureAwait(false);
            return new QuicRpcStream(stream, maxFrameSize);
        }
        catch (QuicException)
        {
            Volatile.Write(ref _closed, 1);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closed, 1);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>One bidirectional QUIC stream carrying one exchange.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicRpcStream : IRpcStream
{
    private readonly QuicStream _stream;
    private readonly PipeReader _pipeReader;
    private readonly PipeWriter _pipeWriter;

    public QuicRpcStream(QuicStream stream, int maxFrameSize)
    {
        _stream = stream;
        _pipeReader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        _pipeWriter = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        Reader = new FrameReader(_pipeReader, maxFrameSize);
        Writer = new FrameWriter(_pipeWriter, maxFrameSize);
    }

    public FrameReader Reader { get; }

    public FrameWriter Writer { get; }

    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        _stream.CompleteWrites();
        return ValueTask.CompletedTask;
    }

    public void Abort() => _stream.Abort(QuicAbortDirection.Both, QuicErrorCodes.StreamAborted);

    public ValueTask CloseGracefullyAsync(long maxBytes, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _pipeReader.CompleteAsync().ConfigureAwait(false);

            // After an abort or a failed write (the peer stopped reading) the writer still holds the
            // unsent frame and completing it retries the write; that failure is expected, and the
            // QUIC stream must be released either way.
            await _pipeWriter.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QuicException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Application error codes used when closing QUIC connections and streams.</summary>
internal static class QuicErrorCodes
{
    public const long Closed = 0;
    public const long StreamAborted = 1;
}

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
                ApplicationProtocols = tls.ApplicationProtocols ?? [Security.TlsDefaults.ApplicationProtocol],
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

/// <summary>A QUIC connection: exchanges run on its bidirectional streams (SPEC §3.2), one at a time per stream.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicTransportConnection(QuicConnection connection, int maxFrameSize) : ITransportConnection
{
    /// <summary>Whether the peers agreed to carry exchanges one after another on a stream (runtara/2), or one per stream (runtara/1).</summary>
    private readonly bool _reusableStreams = connection.NegotiatedApplicationProtocol == Security.TlsDefaults.ReusableStreamsProtocol;
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
            return new QuicRpcStream(stream, maxFrameSize, _reusableStreams);
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
            return new QuicRpcStream(stream, maxFrameSize, _reusableStreams);
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

/// <summary>
/// One bidirectional QUIC stream. Under ALPN runtara/2 it carries exchanges one after another, delimited
/// by their frames as on a TCP connection: the client keeps its streams and lends each to one exchange
/// at a time. Under runtara/1 (runtara 1.4.1 clients) it carries one exchange.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicRpcStream : IRpcStream
{
    private readonly QuicStream _stream;
    private readonly PipeReader _pipeReader;
    private readonly PipeWriter _pipeWriter;
    private readonly bool _reusable;
    private int _aborted;

    public QuicRpcStream(QuicStream stream, int maxFrameSize, bool reusable)
    {
        _stream = stream;
        _reusable = reusable;
        // Zero-byte reads: a kept stream waiting for its next exchange holds no buffer. Without them
        // every idle stream on both sides held a 16 KiB array of the shared pool, which then ran dry,
        // and msquic's receive copies allocated ~20 KB per call at concurrency 64 (docs/performance.md).
        _pipeReader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: true));
        _pipeWriter = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true));
        Reader = new FrameReader(_pipeReader, maxFrameSize);
        Writer = new FrameWriter(_pipeWriter, maxFrameSize);
    }

    public FrameReader Reader { get; }

    public FrameWriter Writer { get; }

    /// <summary>
    /// Under runtara/2: neither side has ended or reset the stream, and its connection is open (closing
    /// it ends every stream). Under runtara/1 a stream carries one exchange, so never another.
    /// </summary>
    public bool IsUsable => _reusable && Volatile.Read(ref _aborted) == 0 && !_stream.ReadsClosed.IsCompleted && !_stream.WritesClosed.IsCompleted;

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _stream.Abort(QuicAbortDirection.Both, QuicErrorCodes.StreamAborted);
        }
    }

    /// <summary>After the stream's last answer: FIN. Nothing is left to discard; the stream's reads end with it.</summary>
    public ValueTask CloseGracefullyAsync(long maxBytes, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _aborted) == 0 && !_stream.WritesClosed.IsCompleted)
        {
            _stream.CompleteWrites();
        }

        return ValueTask.CompletedTask;
    }

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

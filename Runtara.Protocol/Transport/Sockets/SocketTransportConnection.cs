using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Runtara.Protocol.Framing;

namespace Runtara.Protocol.Transport.Sockets;

/// <summary>
/// One stream-socket connection: TLS over TCP, or a Unix domain socket (plain: the bytes stay in the
/// kernel). It carries one exchange at a time: a request, then its response, all as frames, so no
/// half-close is needed and the connection is reused by the next exchange.
/// </summary>
internal sealed class SocketTransportConnection : ITransportConnection
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly SslStream? _ssl;
    private readonly int _maxFrameSize;
    private PipeReader? _pipeReader;
    private PipeWriter? _pipeWriter;
    private FrameReader? _reader;
    private FrameWriter? _writer;
    private readonly Exchange _exchange;
    private int _closed;

    private SocketTransportConnection(Socket socket, bool tls, int maxFrameSize)
    {
        _socket = socket;
        if (socket.ProtocolType == ProtocolType.Tcp)
        {
            _socket.NoDelay = true;
        }

        _maxFrameSize = maxFrameSize;
        Kind = socket.AddressFamily == AddressFamily.Unix ? TransportKind.Unix : TransportKind.Tcp;
        RemoteEndPoint = socket.RemoteEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        var network = new NetworkStream(socket, ownsSocket: true);
        _ssl = tls ? new SslStream(network, leaveInnerStreamOpen: false) : null;
        _stream = (Stream?)_ssl ?? network;
        _exchange = new Exchange(this);
    }

    public TransportKind Kind { get; }

    public EndPoint RemoteEndPoint { get; }

    public bool MultiplexesStreams => false;

    public bool IsUsable => Volatile.Read(ref _closed) == 0 && !PeerHasClosed();

    public FrameReader Reader => _reader ?? throw new InvalidOperationException("The connection is not authenticated yet.");

    public FrameWriter Writer => _writer ?? throw new InvalidOperationException("The connection is not authenticated yet.");

    internal SslServerAuthenticationOptions? ServerOptions { get; private init; }

    /// <summary>An accepted connection; <paramref name="options"/> null serves it without TLS (Unix sockets).</summary>
    public static SocketTransportConnection ForServer(Socket socket, SslServerAuthenticationOptions? options, int maxFrameSize) =>
        new(socket, options is not null, maxFrameSize) { ServerOptions = options };

    /// <summary>Connects to <paramref name="endPoint"/>; <paramref name="options"/> null connects without TLS (Unix sockets).</summary>
    public static async ValueTask<SocketTransportConnection> ConnectAsync(
        EndPoint endPoint, SslClientAuthenticationOptions? options, int maxFrameSize, CancellationToken cancellationToken)
    {
        var socket = endPoint switch
        {
            DnsEndPoint => new Socket(SocketType.Stream, ProtocolType.Tcp),
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            _ => new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp),
        };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new SocketTransportConnection(socket, options is not null, maxFrameSize);
        try
        {
            if (connection._ssl is not null)
            {
                await connection._ssl.AuthenticateAsClientAsync(options!, cancellationToken).ConfigureAwait(false);
            }

            connection.CreatePipes(zeroByteReads: false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask AuthenticateAsServerAsync(CancellationToken cancellationToken)
    {
        if (_ssl is not null)
        {
            var options = ServerOptions ?? throw new InvalidOperationException("Not a server connection.");
            await _ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            // A server connection is idle most of its life: OpenSSL's record buffers go back while it waits.
            OpenSslIdleBuffers.TryEnable(_ssl);
        }

        CreatePipes(zeroByteReads: true);
    }

    // Waits on every exchange: the state machine is pooled.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IRpcStream?> AcceptStreamAsync(CancellationToken cancellationToken)
    {
        // Park until the peer starts its next exchange (or closes); nothing is consumed.
        return await Reader.WaitForDataAsync(cancellationToken).ConfigureAwait(false) ? _exchange : null;
    }

    public ValueTask<IRpcStream> OpenStreamAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _closed) == 0
            ? ValueTask.FromResult<IRpcStream>(_exchange)
            : ValueTask.FromException<IRpcStream>(new ObjectDisposedException(nameof(SocketTransportConnection)));

    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            // Closing the socket fails any pending read or write at once.
            _socket.Dispose();
        }
    }

    /// <summary>
    /// Ends the sending side (TLS close_notify, then FIN) and discards what the peer still sends, so
    /// closing with unread bytes does not make the kernel answer with a reset, which can destroy the
    /// answer already sent before the peer reads it. The bytes are read from the socket and thrown
    /// away, never buffered.
    /// </summary>
    public async ValueTask CloseGracefullyAsync(long maxBytes, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            if (_ssl is not null)
            {
                await _ssl.ShutdownAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            _socket.Shutdown(SocketShutdown.Send);
            long discarded = 0;
            int read;
            while (discarded < maxBytes && (read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
            {
                discarded += read;
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection closes either way.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        try
        {
            // The socket is gone, so completing the writer cannot flush; that failure is expected.
            if (_pipeReader is not null)
            {
                await _pipeReader.CompleteAsync().ConfigureAwait(false);
            }

            if (_pipeWriter is not null)
            {
                await _pipeWriter.CompleteAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <param name="zeroByteReads">
    /// Wait for data with a zero-byte read before renting the read buffer. A server connection always
    /// has a read pending (<see cref="AcceptStreamAsync"/>) and mostly waits: without this, each idle
    /// one held the pipe's 16 KiB segment and, under TLS, SslStream's own receive buffer, which it
    /// also rents only once data arrives when the read it serves is zero bytes. A client reads only
    /// while it awaits an answer, so it skips the extra read.
    /// </param>
    private void CreatePipes(bool zeroByteReads)
    {
        _pipeReader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: zeroByteReads));
        _pipeWriter = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true));
        _reader = new FrameReader(_pipeReader, _maxFrameSize);
        _writer = new FrameWriter(_pipeWriter, _maxFrameSize);
    }

    private bool PeerHasClosed()
    {
        try
        {
            // Readable with nothing to read means the peer sent FIN (e.g. the server restarted).
            return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>
    /// The connection seen as the stream of one exchange. Disposing it ends the exchange only;
    /// the connection stays open for the next one.
    /// </summary>
    private sealed class Exchange(SocketTransportConnection connection) : IRpcStream
    {
        public FrameReader Reader => connection.Reader;

        public FrameWriter Writer => connection.Writer;

        public bool IsUsable => connection.IsUsable;

        public void Abort() => connection.Abort();

        public ValueTask CloseGracefullyAsync(long maxBytes, CancellationToken cancellationToken) =>
            connection.CloseGracefullyAsync(maxBytes, cancellationToken);

        public ValueTask DisposeAsync()
        {
            connection.Reader.Release();
            return ValueTask.CompletedTask;
        }
    }
}

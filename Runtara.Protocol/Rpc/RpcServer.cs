using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Quic;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Diagnostics;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;
using Runtara.Protocol.Transport.Quic;
using Runtara.Protocol.Transport.Sockets;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// Serves one protocol on one port: TLS/TCP always and QUIC on the same port number where supported,
/// plus a Unix domain socket when <see cref="RpcServerOptions.UnixSocketPath"/> names one.
/// Each exchange is decoded, dispatched to the handler, and answered; bad input gets an Error frame
/// or RpcError and never takes the server down. Stopping drains in-flight RPCs.
/// </summary>
public sealed class RpcServer<TRequest, TResponse> : IAsyncDisposable
    where TRequest : class, IRpcRequest<TRequest>
    where TResponse : class, IRpcResponse<TResponse>
{
    private readonly RpcServerOptions _options;
    private readonly IRpcHandler<TRequest, TResponse> _handler;
    private readonly IRpcAuthenticator<TRequest>? _authenticator;
    private readonly ILogger _logger;
    private readonly X509Certificate2 _certificate;
    private readonly List<ITransportListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborting = new();
    /// <summary>The most a server reads and discards from a peer it is done with (a rejected upload's body, the rest of an oversize frame).</summary>
    private const long MaxDiscardBytes = 64L * 1024 * 1024;

    /// <summary>How long a closing connection keeps discarding the peer's bytes so its last answer is not destroyed by a reset.</summary>
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(5);

    private long _connectionIds;
    private int _openConnections;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>Creates a server; it listens once started.</summary>
    /// <param name="options">Port, transports, TLS and limits.</param>
    /// <param name="handler">Answers the decoded requests.</param>
    /// <param name="logger">Receives connection and RPC logs; none when null.</param>
    /// <param name="certificate">The TLS server certificate; when null it is loaded as <see cref="RpcServerOptions.Tls"/> says.</param>
    /// <param name="authenticator">Checks the credential in every request envelope before the handler runs; null serves unauthenticated (tests of the RPC layer only).</param>
    public RpcServer(RpcServerOptions options, IRpcHandler<TRequest, TResponse> handler, ILogger? logger = null, X509Certificate2? certificate = null, IRpcAuthenticator<TRequest>? authenticator = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        _options = options;
        _handler = handler;
        _authenticator = authenticator;
        _logger = logger ?? NullLogger.Instance;
        _certificate = certificate ?? CertificateLoader.LoadServerCertificate(options.Tls);
    }

    /// <summary>The protocol package served.</summary>
    public static string ServiceName => TRequest.ServiceName;

    /// <summary>The bound port (the real one when 0 was configured); valid after start.</summary>
    public int Port => _listeners.Count > 0 ? ((IPEndPoint)_listeners[0].LocalEndPoint).Port : throw new InvalidOperationException("The server is not started.");

    /// <summary>The transports listening, valid after start.</summary>
    public IReadOnlyList<TransportKind> Transports => [.. _listeners.Select(l => l.Kind)];

    /// <summary>The server certificate (clients pin it in tests and development).</summary>
    public X509Certificate2 Certificate => _certificate;

    /// <summary>Number of open connections.</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>Binds the listeners and starts accepting.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The server was already started.");
        }

        var resolved = TransportSupport.Resolve(_options.Transport);
        Log.TransportChosen(_logger, _options.Transport, resolved, TransportSupport.IsQuicSupported);
        var tls = TlsDefaults.CreateServerOptions(_certificate, _options.Tls);
        var endPoint = new IPEndPoint(IPAddress.Parse(_options.BindAddress), _options.Port);

        // TLS/TCP is always served, so every client can connect; QUIC joins on the same port number.
        var tcp = SocketTransportListener.BindTcp(endPoint, tls, _options.MaxFrameSize, _options.Backlog);
        _listeners.Add(tcp);
        var tcpPort = ((IPEndPoint)tcp.LocalEndPoint).Port;
        try
        {
            if (resolved == TransportKind.Quic && TransportSupport.IsQuicSupported
                && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()))
            {
                var settings = new QuicSettings(_options.KeepAliveInterval, _options.IdleTimeout, _options.MaxConcurrentStreamsPerConnection, _options.MaxFrameSize);
                var quicTls = TlsDefaults.CreateServerOptions(_certificate, _options.Tls);
                quicTls.ApplicationProtocols = TlsDefaults.QuicApplicationProtocols();
                _listeners.Add(await QuicTransportListener.BindAsync(
                    new IPEndPoint(endPoint.Address, tcpPort), quicTls, settings, _options.Backlog, cancellationToken).ConfigureAwait(false));
            }

            if (!string.IsNullOrEmpty(_options.UnixSocketPath))
            {
                _listeners.Add(SocketTransportListener.BindUnix(_options.UnixSocketPath, _options.MaxFrameSize, _options.Backlog));
            }
        }
        catch
        {
            foreach (var listener in _listeners)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            _listeners.Clear();
            throw;
        }

        foreach (var listener in _listeners)
        {
            Log.ServerListening(_logger, ServiceName, listener.Kind, listener.LocalEndPoint);
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }
    }

    /// <summary>Stops accepting, lets in-flight RPCs finish (up to the shutdown timeout), then closes everything.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Log.DrainTimedOut(_logger, ServiceName, _options.ShutdownTimeout);
            await _aborting.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }

        Log.ServerStopped(_logger, ServiceName);
    }

    /// <summary>Stops the server (as <see cref="StopAsync"/>) and releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _aborting.Dispose();
    }

    private async Task AcceptLoopAsync(ITransportListener listener)
    {
        await Task.Yield();
        while (!_stopping.IsCancellationRequested)
        {
            ITransportConnection connection;
            try
            {
                connection = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (_stopping.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException or SocketException or QuicException)
            {
                return;
            }
            catch (Exception ex) when (ex is SocketException or QuicException or AuthenticationException or IOException)
            {
                // One failed handshake or reset socket must not stop the listener.
                Log.AcceptFailed(_logger, listener.Kind, ex);
                continue;
            }

            var id = Interlocked.Increment(ref _connectionIds);
            _connections[id] = RunConnectionAsync(id, connection);
        }
    }

    private async Task RunConnectionAsync(long id, ITransportConnection connection)
    {
        await Task.Yield();
        var context = new RpcConnectionContext(id, connection.Kind, connection.RemoteEndPoint);
        var counted = false;
        try
        {
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                handshake.CancelAfter(_options.HandshakeTimeout);
                try
                {
                    await connection.AuthenticateAsServerAsync(handshake.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException)
                {
                    Log.HandshakeFailed(_logger, connection.RemoteEndPoint, ex);
                    return;
                }
            }

            counted = true;
            if (Interlocked.Increment(ref _openConnections) > _options.MaxConnections)
            {
                RpcInstrumentation.RejectedConnections.Add(1);
                Log.ConnectionRejected(_logger, connection.RemoteEndPoint, "too many connections");
                await RejectAsync(connection).ConfigureAwait(false);
                return;
            }

            RpcInstrumentation.ActiveConnections.Add(1);
            try
            {
                if (connection.MultiplexesStreams)
                {
                    await ServeMultiplexedAsync(connection, context).ConfigureAwait(false);
                }
                else
                {
                    await ServeSequentialAsync(connection, context).ConfigureAwait(false);
                }
            }
            finally
            {
                RpcInstrumentation.ActiveConnections.Add(-1);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException && _stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            Log.ConnectionFailed(_logger, connection.RemoteEndPoint, ex);
        }
        finally
        {
            if (counted)
            {
                Interlocked.Decrement(ref _openConnections);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            _connections.TryRemove(id, out _);
        }
    }

    private async Task ServeSequentialAsync(ITransportConnection connection, RpcConnectionContext context)
    {
        // One timer for the connection's request reads, re-armed per exchange (no allocation per RPC).
        using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(_aborting.Token);
        MultiplexedExchanges? exchanges = null;
        try
        {
            while (true)
            {
                if (exchanges is not null)
                {
                    await exchanges.BeforeReadAsync(_aborting.Token).ConfigureAwait(false);
                }

                if (await connection.AcceptStreamAsync(_stopping.Token).ConfigureAwait(false) is not { } stream)
                {
                    break;
                }

                exchanges ??= new MultiplexedExchanges(stream, _options.MaxConcurrentStreamsPerConnection);
                await using (stream.ConfigureAwait(false))
                {
                    if (!await ProcessExchangeAsync(stream, context, readTimeout, exchanges).ConfigureAwait(false))
                    {
                        // The peer may still be sending (the rest of an oversize frame or of an upload):
                        // closing now would reset the connection and could destroy the error just written.
                        await exchanges.CompleteAsync(_aborting.Token).ConfigureAwait(false);
                        await LingerAsync(stream).ConfigureAwait(false);
                        return;
                    }
                }
            }
        }
        finally
        {
            // Multiplexed exchanges still running write their answers before the connection closes.
            if (exchanges is not null)
            {
                await exchanges.CompleteAsync(_aborting.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task ServeMultiplexedAsync(ITransportConnection connection, RpcConnectionContext context)
    {
        var inFlight = new ConcurrentDictionary<IRpcStream, Task>();
        try
        {
            while (await connection.AcceptStreamAsync(_stopping.Token).ConfigureAwait(false) is { } stream)
            {
                inFlight[stream] = ServeStreamAsync(stream);
            }
        }
        finally
        {
            await Task.WhenAll(inFlight.Values).ConfigureAwait(false);
        }

        async Task ServeStreamAsync(IRpcStream stream)
        {
            await Task.Yield();
            context.OpenLane();
            await using (stream.ConfigureAwait(false))
            {
                // Under runtara/2 exchanges follow one another on a stream as on a TCP connection (clients
                // keep their streams); under runtara/1 (1.4.1 clients) a stream carries one exchange and
                // is not usable after it. Either way the stream ends with FIN after its last answer.
                using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(_aborting.Token);
                try
                {
                    while (await ProcessExchangeAsync(stream, context, readTimeout, exchanges: null).ConfigureAwait(false)
                        && stream.IsUsable
                        && await stream.Reader.WaitForDataAsync(_stopping.Token).ConfigureAwait(false))
                    {
                    }
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    // Stopping while the stream waits for its next exchange: FIN below, not a reset,
                    // which would discard the last answer before the client has read it.
                }
                catch (Exception ex) when (ex is IOException or QuicException or ObjectDisposedException or OperationCanceledException)
                {
                    // The client reset the stream or closed the connection.
                    stream.Abort();
                }

                // FIN (nothing after an abort).
                await stream.CloseGracefullyAsync(0, _aborting.Token).ConfigureAwait(false);
            }

            context.CloseLane();
            inFlight.TryRemove(stream, out _);
        }
    }

    /// <summary>
    /// Runs one exchange, or starts it when the client multiplexes the connection (a unary request
    /// with an exchange id; <paramref name="exchanges"/> null on QUIC, whose streams do that); returns
    /// false when the connection must close (out of sync or broken).
    /// </summary>
    /// <remarks>This and <see cref="DispatchAsync"/> wait for the handler on every call: their state machines are pooled.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ProcessExchangeAsync(IRpcStream stream, RpcConnectionContext context, CancellationTokenSource readTimeout, MultiplexedExchanges? exchanges)
    {
        var token = _aborting.Token;
        try
        {
            // Until the connection has authenticated, a frame may not be large (docs/security.md): a
            // peer without credentials must not make the server buffer MaxFrameSize bytes.
            var limit = FrameLimit(context);
            stream.Reader.MaxPayloadSize = limit;
            Frame? read;
            try
            {
                // The exchange has begun (its first byte arrived): the whole request frame must follow
                // within the read timeout, so a client that sends part of a frame and stalls is cut off.
                readTimeout.CancelAfter(_options.RequestReadTimeout);
                read = await stream.Reader.ReadAsync(readTimeout.Token).ConfigureAwait(false);
                if (!readTimeout.TryReset())
                {
                    return false;
                }
            }
            catch (OperationCanceledException) when (readTimeout.IsCancellationRequested && !token.IsCancellationRequested)
            {
                RpcInstrumentation.FrameErrors.Add(1);
                Log.RequestReadTimedOut(_logger, context.RemoteEndPoint, _options.RequestReadTimeout);
                stream.Abort();
                return false;
            }
            catch (FrameException ex)
            {
                RpcInstrumentation.FrameErrors.Add(1);
                if (ex.Error == FrameError.FrameTooLarge && limit < _options.MaxFrameSize)
                {
                    ex = new FrameException(
                        FrameError.FrameTooLarge,
                        $"frame too large: {ex.DeclaredLength} bytes (max before this connection authenticated: {limit}; send a small request with a valid credential first)",
                        declaredLength: ex.DeclaredLength);
                }

                Log.BadFrame(_logger, context.RemoteEndPoint, ex.Code, ex.Message);
                if (ex.Error is FrameError.IncompleteHeader or FrameError.IncompletePayload)
                {
                    // A TCP peer that ends mid-frame is gone; a QUIC peer only finished its side of
                    // the stream and still reads the answer.
                    if (context.Transport == TransportKind.Quic)
                    {
                        await WriteErrorFrameAsync(stream, exchanges, ex.Code, ex.Message, token).ConfigureAwait(false);
                    }

                    return false;
                }

                await WriteErrorFrameAsync(stream, exchanges, ex.Code, ex.Message, token).ConfigureAwait(false);
                return ex.Recoverable;
            }

            if (read is not { } frame)
            {
                return false;
            }

            if (frame.Type is not (FrameType.Request or FrameType.StreamStart))
            {
                stream.Reader.Release();
                RpcInstrumentation.FrameErrors.Add(1);
                var message = $"expected a Request or StreamStart frame, got {frame.Type}";
                Log.BadFrame(_logger, context.RemoteEndPoint, RpcErrorCodes.UnexpectedFrame, message);
                await WriteErrorFrameAsync(stream, exchanges, RpcErrorCodes.UnexpectedFrame, message, token).ConfigureAwait(false);
                return true;
            }

            TRequest request;
            try
            {
                request = TRequest.Parser.ParseFrom(frame.Payload);
            }
            catch (InvalidProtocolBufferException ex)
            {
                RpcInstrumentation.FrameErrors.Add(1);
                var message = $"the payload is not a valid {ServiceName}.RpcRequest: {ex.Message}";
                Log.BadFrame(_logger, context.RemoteEndPoint, RpcErrorCodes.InvalidRequest, message);
                await WriteErrorFrameAsync(stream, exchanges, RpcErrorCodes.InvalidRequest, message, token).ConfigureAwait(false);
                return frame.Type == FrameType.Request;
            }
            finally
            {
                stream.Reader.Release();
            }

            if (exchanges is not null && request.ExchangeId != 0 && frame.Type == FrameType.Request && request.Kind == RpcKind.Unary && request.MethodName.Length > 0)
            {
                await exchanges.EnterAsync(token).ConfigureAwait(false);
                exchanges.Start();
                context.OpenLane();

                // Runs inline up to the handler's first wait (the credential and rate checks among it, in
                // the order the requests arrived), then alongside the next requests read.
                _ = RunMultiplexedAsync(exchanges, stream, context, request, token);
                return true;
            }

            // Anything else is answered in turn, after the multiplexed exchanges before it.
            if (exchanges is not null)
            {
                await exchanges.DrainAsync().ConfigureAwait(false);
            }

            return await DispatchAsync(stream, context, request, isUpload: frame.Type == FrameType.StreamStart, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or QuicException or ObjectDisposedException or OperationCanceledException)
        {
            stream.Abort();
            return false;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> DispatchAsync(IRpcStream stream, RpcConnectionContext context, TRequest request, bool isUpload, CancellationToken token)
    {
        // Read before the handler runs: one that relays the request through a client of its own changes it.
        var exchangeId = request.ExchangeId;
        var credential = request.Credential;
        var method = request.MethodName;
        var kind = request.Kind;
        if (method.Length == 0)
        {
            // The credential is checked first (docs/security.md): an unauthenticated peer learns nothing
            // about requests, not even that this one was empty. An upload start with nothing set is
            // still followed by its body; close rather than resync.
            TResponse refusal;
            try
            {
                AuthenticateCaller(request, context);
                refusal = TResponse.FromError(RpcErrorCodes.EmptyRequest, "RpcRequest contained no request");
            }
            catch (RpcException ex)
            {
                refusal = TResponse.FromError(ex.Code, ex.Message);
            }

            await WriteReplyAsync(stream.Writer, refusal, token).ConfigureAwait(false);
            return !isUpload;
        }

        if (isUpload != (kind == RpcKind.Upload))
        {
            var message = isUpload
                ? $"{method} is not a streamed request; send it in a Request frame"
                : $"{method} is a streamed request; send it in a StreamStart frame followed by StreamData and StreamEnd";
            await WriteReplyAsync(stream.Writer, TResponse.FromError(RpcErrorCodes.InvalidRequest, message), token).ConfigureAwait(false);
            return !isUpload;
        }

        var body = isUpload ? new FramedBodyReadStream(stream.Reader) : null;
        var reply = await AnswerAsync(stream, context, request, body, token).ConfigureAwait(false);
        if (kind == RpcKind.OneWay)
        {
            if (reply.Message is { } failed && failed.TryGetError(out var failedCode, out var failedMessage))
            {
                Log.OneWayFailed(_logger, ServiceName, method, failedCode, failedMessage);
            }
        }
        else
        {
            if (reply.Message is { } answer && answer.ExchangeId != exchangeId)
            {
                // A multiplexing client's request answered in turn (e.g. its credential probe) still
                // matches by id; an answer relayed from another server carries that server's.
                answer.ExchangeId = exchangeId;
            }

            // This server's binding only: a relayed answer may carry the other server's.
            if (reply.Message is { } bound)
            {
                bound.CredentialBound = context.IsBound(credential);
            }

            await WriteReplyAsync(stream.Writer, reply, token).ConfigureAwait(false);
        }

        // An early answer (e.g. a rejected upload): the client stops sending and ends the body, so
        // reading the rest keeps the connection in sync and avoids a reset that would destroy the
        // answer before the client reads it.
        return body is null || body.Completed || await DrainAsync(body, token).ConfigureAwait(false);
    }

    /// <summary>Checks the caller and runs the handler: the answer to <paramref name="request"/> (an error reply for a refused or failed call), in a span of its own.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RpcReply<TResponse>> AnswerAsync(IRpcStream stream, RpcConnectionContext context, TRequest request, FramedBodyReadStream? body, CancellationToken token)
    {
        var method = request.MethodName;
        using var activity = StartServerSpan(request, method, context);
        var started = Stopwatch.GetTimestamp();
        RpcReply<TResponse> reply;
        string? errorCode = null;
        try
        {
            reply = await AdmitAndHandleAsync(stream, context, request, method, body, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (TryReplyToFailure(ex, method, token, out reply, out errorCode))
        {
        }

        EndServerCall(activity, started, method, reply, errorCode);
        return reply;
    }

    /// <summary>The span of a call (and its name) only when someone listens.</summary>
    private static Activity? StartServerSpan(TRequest request, string method, RpcConnectionContext context)
    {
        var activity = RpcInstrumentation.Source.HasListeners() ? StartServerActivity(request, method) : null;
        activity?.SetTag("rpc.system", "runtara");
        activity?.SetTag("rpc.service", ServiceName);
        activity?.SetTag("rpc.method", method);
        activity?.SetTag("network.transport", context.Transport == TransportKind.Quic ? "quic" : "tcp");
        return activity;
    }

    /// <summary>Admits the caller, then hands the call to the handler (not async: its task is the handler's).</summary>
    private ValueTask<RpcReply<TResponse>> AdmitAndHandleAsync(IRpcStream stream, RpcConnectionContext context, TRequest request, string method, FramedBodyReadStream? body, CancellationToken token)
    {
        var identity = Admit(request, context);

        // The caller is authenticated now: its upload's body may use full-size frames.
        if (body is not null)
        {
            stream.Reader.MaxPayloadSize = _options.MaxFrameSize;
        }

        return _handler.HandleAsync(new RpcServerCall<TRequest>(request, method, context, body, identity), token);
    }

    /// <summary>
    /// The error reply for a refused or failed call: the exception's own code for a Runtara error,
    /// SHUTTING_DOWN when the server is stopping, INTERNAL (logged) for anything else. False for a
    /// broken connection, which the caller's caller handles.
    /// </summary>
    private bool TryReplyToFailure(Exception exception, string method, CancellationToken token, out RpcReply<TResponse> reply, out string? errorCode)
    {
        switch (exception)
        {
            case RuntaraException runtara:
                errorCode = runtara.Code;
                reply = TResponse.FromError(runtara.Code, runtara.Message);
                return true;
            case OperationCanceledException when token.IsCancellationRequested:
                errorCode = RpcErrorCodes.ShuttingDown;
                reply = TResponse.FromError(RpcErrorCodes.ShuttingDown, "the server is shutting down");
                return true;
            case IOException or QuicException:
                errorCode = null;
                reply = default;
                return false;
            default:
                Log.HandlerFailed(_logger, ServiceName, method, exception);
                errorCode = RpcErrorCodes.Internal;
                reply = TResponse.FromError(RpcErrorCodes.Internal, $"{method} failed with an internal error; see the server log");
                return true;
        }
    }

    /// <summary>Records the call's outcome on its span and in the server duration metric.</summary>
    private static void EndServerCall(Activity? activity, long started, string method, RpcReply<TResponse> reply, string? errorCode)
    {
        if (errorCode is null && reply.Message is { } answered && answered.TryGetError(out var code, out _))
        {
            errorCode = code;
        }

        if (errorCode is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, errorCode);
            activity?.SetTag("rpc.error_code", errorCode);
        }

        RpcInstrumentation.ServerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, RpcInstrumentation.Tags(ServiceName, method, errorCode));
    }

    /// <summary>One exchange of a multiplexed connection: answered when done, in whatever order, with its exchange id.</summary>
    private async Task RunMultiplexedAsync(MultiplexedExchanges exchanges, IRpcStream stream, RpcConnectionContext context, TRequest request, CancellationToken token)
    {
        // Read before the handler runs: one that relays the request through a client of its own changes it.
        var exchangeId = request.ExchangeId;
        var credential = request.Credential;
        var method = request.MethodName;
        try
        {
            // AnswerAsync's steps in this method's own state machine: one fewer per exchange.
            using var activity = StartServerSpan(request, method, context);
            var started = Stopwatch.GetTimestamp();
            RpcReply<TResponse> reply;
            string? errorCode = null;
            try
            {
                reply = await AdmitAndHandleAsync(stream, context, request, method, body: null, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (TryReplyToFailure(ex, method, token, out reply, out errorCode))
            {
            }

            EndServerCall(activity, started, method, reply, errorCode);
            var message = reply.Message ?? throw new InvalidOperationException("A unary RPC handler returned no response.");
            message.ExchangeId = exchangeId;
            message.CredentialBound = context.IsBound(credential);
            if (reply.Body is null)
            {
                // With other exchanges in flight their answers are likely ready too (one commit completes many):
                // they leave in one send. A lone exchange's answer leaves at once.
                await exchanges.Writer.WriteAsync(FrameType.Response, message, deferFlush: exchanges.InFlight > 1, token).ConfigureAwait(false);
            }
            else
            {
                await exchanges.Writer.WriteAsync(static (writer, reply, token) => WriteReplyAsync(writer, reply, token), reply, token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // The connection broke, or the answer could not be sent (no message, too large a frame):
            // the client's other exchanges on it fail with it, as a sequential connection would close.
            if (ex is not (IOException or SocketException or QuicException or ObjectDisposedException or OperationCanceledException))
            {
                Log.HandlerFailed(_logger, ServiceName, request.MethodName, ex);
            }

            stream.Abort();
        }
        finally
        {
            context.CloseLane();
            exchanges.Exit();
        }
    }

    /// <summary>The frame size a connection may send now: the full size once it has authenticated (or when nothing authenticates), else the pre-authentication cap.</summary>
    private int FrameLimit(RpcConnectionContext context) =>
        _authenticator is null || context.HasAuthenticated
            ? _options.MaxFrameSize
            : Math.Min(_options.MaxUnauthenticatedFrameSize, _options.MaxFrameSize);

    private static Activity? StartServerActivity(TRequest request, string method)
    {
        if (ActivityContext.TryParse(request.Traceparent, request.Tracestate, isRemote: true, out var parent)
            && (parent.TraceFlags & ActivityTraceFlags.Recorded) == 0)
        {
            // The caller chose not to record this call (e.g. a background poll, BackgroundWork): no root span.
            return null;
        }

        return RpcInstrumentation.Source.StartActivity($"{ServiceName}/{method}", ActivityKind.Server, parent);
    }

    /// <summary>The connection's rate limit, then the credential: verified when it changed, checked for expiry, and authorized for this call; returns the identity (null without an authenticator).</summary>
    private RpcIdentity? Admit(TRequest request, RpcConnectionContext context)
    {
        var rate = _options.MaxRequestsPerSecondPerConnection;
        if (rate > 0 && !context.TryTakeRequest(rate))
        {
            RpcInstrumentation.RateLimited.Add(1);
            throw new RpcException(RpcErrorCodes.ResourceExhausted, $"this connection exceeded {rate} RPCs per second; slow down or spread the load over more connections");
        }

        if (AuthenticateCaller(request, context) is not { } identity)
        {
            return null;
        }

        try
        {
            _authenticator!.Authorize(identity, request);
            return identity;
        }
        catch (RpcException ex)
        {
            RecordRefusal(request, context, ex);
            throw;
        }
    }

    /// <summary>The caller's identity from the request's credential (verified when it changed on the connection, checked for expiry); null without an authenticator.</summary>
    private RpcIdentity? AuthenticateCaller(TRequest request, RpcConnectionContext context)
    {
        if (_authenticator is null)
        {
            return null;
        }

        // An empty credential presents the connection's again, if it has one; else it is refused as missing.
        var credential = request.Credential;
        var identity = credential.Length == 0 ? context.BoundIdentity : context.CachedIdentity(credential);
        try
        {
            if (identity is null)
            {
                identity = _authenticator.Authenticate(credential);
                context.RememberIdentity(credential, identity);
            }

            if (identity.ExpiresAtMs != long.MaxValue && identity.ExpiresAtMs <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
            {
                context.ForgetIdentity();
                throw new RpcException(RpcErrorCodes.Unauthenticated, $"the credential of {identity} expired at {DateTimeOffset.FromUnixTimeMilliseconds(identity.ExpiresAtMs):O}; renew it");
            }

            return identity;
        }
        catch (RpcException ex)
        {
            RecordRefusal(request, context, ex);
            throw;
        }
    }

    private void RecordRefusal(TRequest request, RpcConnectionContext context, RpcException refusal)
    {
        // The code and the identity's description only: never the credential.
        RpcInstrumentation.AuthFailures.Add(1);
        Log.CallRefused(_logger, ServiceName, request.MethodName, context.RemoteEndPoint, refusal.Code, refusal.Message);
    }

    private async ValueTask LingerAsync(IRpcStream stream)
    {
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(_aborting.Token);
        linger.CancelAfter(LingerTimeout);
        await stream.CloseGracefullyAsync(MaxDiscardBytes, linger.Token).ConfigureAwait(false);
    }

    private static async Task<bool> DrainAsync(FramedBodyReadStream body, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long drained = 0;
            int read;
            while (drained <= MaxDiscardBytes && (read = await body.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
            {
                drained += read;
            }

            return body.Completed;
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or FrameException)
        {
            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Waits for the flush on every answer: pooled.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask WriteReplyAsync(FrameWriter writer, RpcReply<TResponse> reply, CancellationToken token)
    {
        var message = reply.Message ?? throw new InvalidOperationException("A unary RPC handler returned no response.");
        if (reply.Body is null)
        {
            writer.Write(FrameType.Response, message);
        }
        else
        {
            writer.Write(FrameType.StreamStart, message);
            var body = new FramedBodyWriteStream(writer);
            await reply.Body(body, token).ConfigureAwait(false);
            writer.Write(FrameType.StreamEnd, ReadOnlySpan<byte>.Empty);
        }

        await writer.FlushAsync(token).ConfigureAwait(false);
    }

    /// <summary>A connection-level error, after the answers of the multiplexed exchanges still running (none on QUIC streams).</summary>
    private static async ValueTask WriteErrorFrameAsync(IRpcStream stream, MultiplexedExchanges? exchanges, string code, string message, CancellationToken token)
    {
        if (exchanges is not null)
        {
            await exchanges.DrainAsync().ConfigureAwait(false);
        }

        await WriteErrorFrameAsync(stream, code, message, token).ConfigureAwait(false);
    }

    private static async ValueTask WriteErrorFrameAsync(IRpcStream stream, string code, string message, CancellationToken token)
    {
        stream.Writer.Write(FrameType.Error, new RpcErrorFrame { Code = code, Message = message });
        await stream.Writer.FlushAsync(token).ConfigureAwait(false);
    }

    private async Task RejectAsync(ITransportConnection connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var stream = await connection.AcceptStreamAsync(timeout.Token).ConfigureAwait(false);
            if (stream is not null)
            {
                await WriteErrorFrameAsync(stream, RpcErrorCodes.ResourceExhausted, $"the server accepts at most {_options.MaxConnections} connections", timeout.Token).ConfigureAwait(false);
                await stream.CloseGracefullyAsync(MaxDiscardBytes, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or QuicException or OperationCanceledException or FrameException)
        {
            // The connection is refused either way.
        }
    }
}

using System.Buffers;
using System.Diagnostics;
using System.Net.Quic;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Security.Authentication;
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
/// A thread-safe client of one protocol: unary calls, one-way sends, streamed uploads and downloads,
/// with deadlines, cancellation, and reconnection after the server or network drops the connection.
/// Failures surface as <see cref="RpcException"/> with a code; a response carrying <c>RpcError</c>
/// throws with the server's code.
/// </summary>
public sealed class RpcClient<TRequest, TResponse> : IAsyncDisposable
    where TRequest : class, IRpcRequest<TRequest>
    where TResponse : class, IRpcResponse<TResponse>
{
    /// <summary>The unary exchange as a cached delegate (no allocation per call).</summary>
    private static readonly Exchange<TResponse> UnaryExchange = UnaryAsync;

    private readonly RpcClientOptions _options;
    private readonly RpcChannel _channel;
    private readonly MultiplexedConnections<TRequest, TResponse>? _multiplexed;
    private readonly string _address;
    private readonly DeadlinePool _deadlines = new();

    /// <summary>Connections on which a request with the credential has been answered (the server lifted its pre-authentication frame cap).</summary>
    private readonly ConditionalWeakTable<ITransportConnection, object> _authenticated = new();

    /// <summary>Creates a client; connections are opened on first use, not here.</summary>
    /// <param name="options">Address, transport, TLS, deadlines and pool size.</param>
    /// <param name="logger">Receives connection and TLS warnings; none when null.</param>
    /// <exception cref="FormatException"><see cref="RpcClientOptions.Address"/> is not a valid <c>host:port</c>.</exception>
    public RpcClient(RpcClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        logger ??= NullLogger.Instance;
        var addresses = RpcAddress.ParseList(options.Address);
        var address = addresses[0];
        _address = string.Join(",", addresses);
        if (options.Transport == TransportKind.Unix && address.UnixSocketPath is null)
        {
            throw new FormatException($"Transport Unix needs a unix:/path address, not '{options.Address}'.");
        }

        Transport = address.UnixSocketPath is null ? TransportSupport.Resolve(options.Transport) : TransportKind.Unix;
        ITransportConnector Timed(RpcAddress target) => new TimedConnector(CreateConnector(target, options, logger), options.ConnectTimeout, target.ToString());
        var connector = addresses.Count == 1
            ? Timed(address)
            : new FailoverConnector([.. addresses.Select(target => new FailoverConnector.Target(Timed(target), target.EndPoint, target.ToString()))], logger);
        _channel = RpcChannel.Create(connector, address.EndPoint, options.MaxConnections);
        if (Transport != TransportKind.Quic && options.MaxExchangesPerConnection > 1)
        {
            _multiplexed = new MultiplexedConnections<TRequest, TResponse>(connector, address.EndPoint, options.MaxConnections, options.MaxExchangesPerConnection);
        }
    }

    private ITransportConnector CreateConnector(RpcAddress address, RpcClientOptions options, ILogger logger)
    {
        if (Transport == TransportKind.Unix)
        {
            // A Unix socket address picks its transport: no TLS, the kernel carries the bytes.
            return new SocketTransportConnector(tls: null, options.MaxFrameSize);
        }

        if (options.Tls.DangerousSkipCertificateVerification)
        {
            Log.CertificateVerificationDisabled(logger, _address);
        }

        var tls = TlsDefaults.CreateClientOptions(options.Tls.ServerName ?? address.DefaultServerName, options.Tls);
        if (Transport == TransportKind.Quic && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()))
        {
            tls.ApplicationProtocols = TlsDefaults.QuicApplicationProtocols();
            return new QuicTransportConnector(tls, new QuicSettings(options.KeepAliveInterval, options.IdleTimeout, 0, options.MaxFrameSize));
        }

        return new SocketTransportConnector(tls, options.MaxFrameSize);
    }

    /// <summary>The transport this client uses.</summary>
    public TransportKind Transport { get; }

    /// <summary>The server address.</summary>
    public string Address => _address;

    /// <summary>Sends a request and waits for its response.</summary>
    public Task<TResponse> CallAsync(TRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(request, deadline: null, cancellationToken);

    /// <summary>Sends a request and waits for its response within <paramref name="deadline"/>.</summary>
    public Task<TResponse> CallAsync(TRequest request, TimeSpan? deadline, CancellationToken cancellationToken = default) =>
        CallValueAsync(request, deadline, cancellationToken).AsTask();

    /// <summary>
    /// <see cref="CallAsync(TRequest, TimeSpan?, CancellationToken)"/> answered by a value task, to be
    /// awaited exactly once. The call's state machine is pooled: a caller that makes one call after
    /// another (an instance's steps) reuses the one its previous call returned.
    /// </summary>
    public ValueTask<TResponse> CallValueAsync(TRequest request, TimeSpan? deadline, CancellationToken cancellationToken = default)
    {
        EnsureKind(request, RpcKind.Unary);
        return InvokeAsync(request, deadline, UnaryExchange, body: null, cancellationToken);
    }

    /// <summary>Sends a one-way request: returns once it is written; the server sends no response (SPEC §3.2).</summary>
    public Task SendAsync(TRequest request, CancellationToken cancellationToken = default)
    {
        EnsureKind(request, RpcKind.OneWay);
        return InvokeAsync<TResponse?>(request, deadline: null, static async (stream, request, _, token) =>
        {
            stream.Writer.Write(FrameType.Request, request);
            await stream.Writer.FlushAsync(token).ConfigureAwait(false);
            return null;
        }, body: null, cancellationToken).AsTask();
    }

    /// <summary>
    /// Streams <paramref name="content"/> after the request (StreamStart, StreamData…, StreamEnd) and
    /// waits for the response. An early response (e.g. a rejection) ends the upload at once.
    /// </summary>
    public Task<TResponse> UploadAsync(TRequest request, Stream content, IProgress<long>? progress = null, TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        EnsureKind(request, RpcKind.Upload);
        return InvokeAsync(request, deadline ?? Timeout.InfiniteTimeSpan, async (stream, request, _, token) =>
        {
            stream.Writer.Write(FrameType.StreamStart, request);
            await stream.Writer.FlushAsync(token).ConfigureAwait(false);
            var reply = ReadReplyAsync(stream, body: null, token).AsTask();
            try
            {
                await WriteBodyAsync(stream, content, progress, reply, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransportFailure(ex))
            {
                // The server may have answered and closed before taking all of the body: its answer
                // counts when it arrives; otherwise the write failure does.
                var answered = await Task.WhenAny(reply, Task.Delay(TimeSpan.FromSeconds(5), token)).ConfigureAwait(false) == reply;
                if (!answered || !reply.IsCompletedSuccessfully)
                {
                    throw;
                }
            }

            return await reply.ConfigureAwait(false);
        }, body: null, cancellationToken).AsTask();
    }

    /// <summary>Sends a request whose response may carry a streamed body, copied into <paramref name="destination"/>.</summary>
    public Task<TResponse> DownloadAsync(TRequest request, Stream destination, TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        EnsureKind(request, RpcKind.Unary);
        return InvokeAsync(request, deadline ?? Timeout.InfiniteTimeSpan, UnaryExchange, destination, cancellationToken).AsTask();
    }

    /// <summary>
    /// Opens one pooled connection now (the TLS handshake included) instead of at the first call, and
    /// sends nothing on it. A warm instance process does this while it waits for its run.
    /// </summary>
    /// <exception cref="RpcException">The server cannot be reached (<c>UNAVAILABLE</c>, <c>TLS_FAILURE</c>).</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (_multiplexed is not null)
            {
                await _multiplexed.ConnectAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            var lease = await _channel.AcquireAsync(verifyIdle: false, cancellationToken).ConfigureAwait(false);
            await lease.ReleaseAsync(healthy: true).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            throw TlsFailure(ex);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            throw Unavailable("connect", ex);
        }
    }

    /// <summary>Closes every pooled connection; calls still in flight fail with <see cref="RpcException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_multiplexed is not null)
        {
            await _multiplexed.DisposeAsync().ConfigureAwait(false);
        }

        await _channel.DisposeAsync().ConfigureAwait(false);
    }

    private static void EnsureKind(TRequest request, RpcKind expected)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Kind != expected)
        {
            throw new ArgumentException($"{TRequest.ServiceName}/{request.MethodName} is a {request.Kind} request; it cannot be sent as {expected}.", nameof(request));
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResult> InvokeAsync<TResult>(
        TRequest request, TimeSpan? deadline, Exchange<TResult> exchange, Stream? body, CancellationToken cancellationToken)
        where TResult : TResponse?
    {
        var method = request.MethodName;

        // Background housekeeping outside any trace (BackgroundWork) gets no span; the AsyncLocal is
        // only read when there is no current activity, so ordinary traced calls pay nothing.
        var background = Activity.Current is null && BackgroundWork.IsActive;

        // The span's name is only built when someone listens.
        using var activity = !background && RpcInstrumentation.Source.HasListeners()
            ? RpcInstrumentation.Source.StartActivity($"{TRequest.ServiceName}/{method}", ActivityKind.Client)
            : null;
        if (activity is not null)
        {
            activity.SetTag("rpc.system", "runtara");
            activity.SetTag("rpc.service", TRequest.ServiceName);
            activity.SetTag("rpc.method", method);
            activity.SetTag("server.address", _address);
        }

        // The trace context rides inside the envelope (docs/protocol.md).
        // A background call sends a not-sampled context, so the server starts no root span for it.
        var context = activity ?? Activity.Current;
        request.Traceparent = background ? BackgroundWork.UnsampledTraceparent() : context?.Id ?? string.Empty;
        request.Tracestate = context?.TraceStateString ?? string.Empty;
        if (request.Credential.Length == 0 && _options.CredentialProvider?.Invoke() is { Length: > 0 } credential)
        {
            request.Credential = credential;
        }

        var effectiveDeadline = deadline ?? _options.DefaultDeadline;
        var deadlineSource = effectiveDeadline == Timeout.InfiniteTimeSpan ? null : _deadlines.Rent(effectiveDeadline, cancellationToken);
        var token = deadlineSource?.Token ?? cancellationToken;
        var started = Stopwatch.GetTimestamp();
        string? errorCode = null;
        try
        {
            // A unary call shares a multiplexed connection when it fits the servers' frame cap for
            // connections not yet authenticated (larger ones take a pooled connection, which sends
            // the credential ahead of them).
            if (_multiplexed is not null && ReferenceEquals(exchange, UnaryExchange) && body is null
                && request.CalculateSize() <= _options.MaxUnauthenticatedFrameSize)
            {
                TResponse answer;
                var presented = request.Credential;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        answer = await _multiplexed.CallAsync(request, fresh: attempt > 1, token).ConfigureAwait(false);
                        break;
                    }
                    catch (MultiplexedConnections<TRequest, TResponse>.ConnectionLostException lost)
                        when (lost.Reused && attempt == 1 && !token.IsCancellationRequested)
                    {
                        // The connection had answered earlier calls, then closed: once more on a fresh one.
                    }
                    catch (MultiplexedConnections<TRequest, TResponse>.ConnectionLostException lost)
                    {
                        ExceptionDispatchInfo.Throw(lost.InnerException!);
                    }
                    finally
                    {
                        // A connection bound to the credential sent the request without it: the retry,
                        // and the caller, get the request as it was.
                        request.Credential = presented;
                    }
                }

                if (answer.TryGetError(out var code, out var message))
                {
                    throw new RpcException(code, message);
                }

                return (TResult)answer;
            }

            return await OverPooledConnectionAsync(request, exchange, body, token, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            errorCode = RpcErrorCodes.DeadlineExceeded;
            throw new RpcException(RpcErrorCodes.DeadlineExceeded, $"{TRequest.ServiceName}/{method} to {_address} did not complete within {effectiveDeadline.TotalMilliseconds:0} ms");
        }
        catch (RpcException ex)
        {
            errorCode = ex.Code;
            throw;
        }
        catch (AuthenticationException ex)
        {
            errorCode = RpcErrorCodes.TlsFailure;
            throw TlsFailure(ex);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            errorCode = RpcErrorCodes.Unavailable;
            throw Unavailable(method, ex);
        }
        finally
        {
            if (deadlineSource is not null)
            {
                _deadlines.Return(deadlineSource);
            }

            if (errorCode is not null)
            {
                activity?.SetStatus(ActivityStatusCode.Error, errorCode);
                activity?.SetTag("rpc.error_code", errorCode);
            }

            RpcInstrumentation.ClientDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, RpcInstrumentation.Tags(TRequest.ServiceName, method, errorCode));

            // The caller's code never continues on a socket thread (inline completions, see SocketThreads).
            await SocketThreads.LeaveAsync();
        }
    }

    /// <summary>
    /// A call over a pooled connection (one exchange at a time on it): one-way sends, uploads,
    /// downloads, large requests, and every call when multiplexing is off. Its own method, so that the
    /// multiplexed calls' state machine does not carry this loop's locals.
    /// </summary>
    private async Task<TResult> OverPooledConnectionAsync<TResult>(
        TRequest request, Exchange<TResult> exchange, Stream? body, CancellationToken token, CancellationToken cancellationToken)
        where TResult : TResponse?
    {
        var unary = request.Kind == RpcKind.Unary;
        for (var attempt = 1; ; attempt++)
        {
            // Only a unary call's first attempt may skip checking a just-used pooled connection: a
            // dead one then fails before the server processed anything and the call is retried. A
            // one-way send reads no answer that would reveal it; an upload would resend a consumed body.
            var lease = await _channel.AcquireAsync(verifyIdle: !unary || attempt > 1, token).ConfigureAwait(false);
            try
            {
                if (request.Credential.Length > 0 && !_authenticated.TryGetValue(lease.Connection, out _)
                    && request.CalculateSize() > _options.MaxUnauthenticatedFrameSize)
                {
                    await AuthenticateConnectionAsync(lease.Connection, request.Credential, token).ConfigureAwait(false);
                }

                var result = await exchange(lease.Stream, request, body, token).ConfigureAwait(false);
                await lease.ReleaseAsync(healthy: true).ConfigureAwait(false);
                if (result is not null && result.TryGetError(out var code, out var message))
                {
                    throw new RpcException(code, message);
                }

                if (result is not null && request.Credential.Length > 0 && !_authenticated.TryGetValue(lease.Connection, out _))
                {
                    _authenticated.TryAdd(lease.Connection, lease);
                }

                return result;
            }
            catch (RpcException ex) when (ex.Code == RpcErrorCodes.ConnectionClosed && lease.Reused && attempt == 1)
            {
                // A pooled connection the server had already closed: try once more on a fresh one.
                await lease.ReleaseAsync(healthy: false).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransportFailure(ex) && lease.Reused && attempt == 1 && !cancellationToken.IsCancellationRequested)
            {
                await lease.ReleaseAsync(healthy: false).ConfigureAwait(false);
            }
            catch
            {
                // No-op when the exchange already ended cleanly (an answered RpcError).
                await lease.ReleaseAsync(healthy: false).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>A unary exchange: the request, then its response (pooled state machine: one per call in flight, none allocated).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<TResponse> UnaryAsync(IRpcStream stream, TRequest request, Stream? body, CancellationToken token)
    {
        stream.Writer.Write(FrameType.Request, request);
        await stream.Writer.FlushAsync(token).ConfigureAwait(false);
        return await ReadReplyAsync(stream, body, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Before a large first request on a connection: an empty envelope carrying the credential, which
    /// a server answers EMPTY_REQUEST once the credential is valid (docs/protocol.md), lifting its
    /// pre-authentication frame cap for the connection. Any other answer (UNAUTHENTICATED) is the call's.
    /// </summary>
    private async ValueTask AuthenticateConnectionAsync(ITransportConnection connection, string credential, CancellationToken token)
    {
        var hello = TRequest.Parser.ParseFrom(ReadOnlySpan<byte>.Empty);
        hello.Credential = credential;
        var probe = await connection.OpenStreamAsync(token).ConfigureAwait(false);
        await using (probe.ConfigureAwait(false))
        {
            var answer = await UnaryAsync(probe, hello, body: null, token).ConfigureAwait(false);
            if (answer.TryGetError(out var code, out var message) && code != RpcErrorCodes.EmptyRequest)
            {
                throw new RpcException(code, message);
            }
        }

        _authenticated.TryAdd(connection, hello);
    }

    /// <summary>One exchange on a lent stream: the request goes out, the result comes back (<paramref name="body"/>: a download's destination).</summary>
    private delegate ValueTask<TResult> Exchange<TResult>(IRpcStream stream, TRequest request, Stream? body, CancellationToken token);

    /// <summary>A failed TLS handshake, with what this client trusts.</summary>
    private RpcException TlsFailure(AuthenticationException ex) =>
        new(RpcErrorCodes.TlsFailure, $"TLS handshake with {_address} failed: {ex.Message} This client accepts {CertificateValidation.DescribeTrust(_options.Tls)}.", ex);

    /// <summary>A transport failure of <paramref name="operation"/> (a method name, or <c>connect</c>).</summary>
    private RpcException Unavailable(string operation, Exception ex) =>
        new(RpcErrorCodes.Unavailable, $"{TRequest.ServiceName}/{operation}: server {_address} is unavailable: {ex.Message}", ex);

    private static bool IsTransportFailure(Exception ex) =>
        ex is IOException or SocketException or QuicException or ObjectDisposedException
        || ex is FrameException { Error: FrameError.IncompleteHeader or FrameError.IncompletePayload };

    /// <summary>Reads one answer: a Response, or a streamed answer's header after its body (copied into <paramref name="body"/>, or read past); an Error frame, an undecodable or unexpected frame and the stream's end throw <see cref="RpcException"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<TResponse> ReadReplyAsync(IRpcStream stream, Stream? body, CancellationToken token)
    {
        var frame = await stream.Reader.ReadAsync(token).ConfigureAwait(false)
            ?? throw new RpcException(RpcErrorCodes.ConnectionClosed, "the server closed the stream without a response");
        switch (frame.Type)
        {
            case FrameType.Response:
                {
                    var response = Parse<TResponse>(frame.Payload, TResponse.Parser);
                    stream.Reader.Release();
                    return response;
                }

            case FrameType.Error:
                {
                    var error = Parse<RpcErrorFrame>(frame.Payload, RpcErrorFrame.Parser);
                    stream.Reader.Release();
                    throw new RpcException(string.IsNullOrEmpty(error.Code) ? RpcErrorCodes.Internal : error.Code, error.Message);
                }

            case FrameType.StreamStart:
                {
                    var header = Parse<TResponse>(frame.Payload, TResponse.Parser);
                    stream.Reader.Release();
                    var reader = new FramedBodyReadStream(stream.Reader);
                    if (body is null)
                    {
                        await reader.CopyToAsync(Stream.Null, token).ConfigureAwait(false);
                    }
                    else
                    {
                        await reader.CopyToAsync(body, token).ConfigureAwait(false);
                    }

                    return header;
                }

            default:
                stream.Reader.Release();
                throw new RpcException(RpcErrorCodes.UnexpectedFrame, $"expected a Response frame, got {frame.Type}");
        }
    }

    private static T Parse<T>(ReadOnlySequence<byte> payload, MessageParser<T> parser)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(RpcErrorCodes.UnexpectedFrame, $"the server sent an undecodable {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    private static async Task WriteBodyAsync(IRpcStream stream, Stream content, IProgress<long>? progress, Task reply, CancellationToken token)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(FramedBodyWriteStream.ChunkSize);
        try
        {
            long sent = 0;
            int read;
            while (!reply.IsCompleted && (read = await content.ReadAsync(buffer.AsMemory(0, FramedBodyWriteStream.ChunkSize), token).ConfigureAwait(false)) > 0)
            {
                stream.Writer.Write(FrameType.StreamData, buffer.AsSpan(0, read));
                await stream.Writer.FlushAsync(token).ConfigureAwait(false);
                sent += read;
                progress?.Report(sent);
            }

            // Always end the body, also after an early answer, so the connection stays in sync.
            stream.Writer.Write(FrameType.StreamEnd, ReadOnlySpan<byte>.Empty);
            await stream.Writer.FlushAsync(token).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Applies the connect timeout and names the server in connection errors.</summary>
    private sealed class TimedConnector(ITransportConnector inner, TimeSpan timeout, string address) : ITransportConnector
    {
        public TransportKind Kind => inner.Kind;

        public async ValueTask<ITransportConnection> ConnectAsync(System.Net.EndPoint endPoint, CancellationToken cancellationToken)
        {
            using var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            source.CancelAfter(timeout);
            try
            {
                return await inner.ConnectAsync(endPoint, source.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RpcException(RpcErrorCodes.Unavailable, $"connection to {address} timed out after {timeout.TotalMilliseconds:0} ms");
            }
            catch (Exception ex) when (ex is SocketException or QuicException)
            {
                throw new RpcException(RpcErrorCodes.Unavailable, $"cannot connect to {address}: {ex.Message}", ex);
            }
        }
    }
}

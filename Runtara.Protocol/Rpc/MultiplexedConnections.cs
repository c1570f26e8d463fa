using System.Net;
using System.Threading.Tasks.Sources;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Transport;
using Runtara.Threading;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// Client side of multiplexed exchanges on TLS/TCP and Unix sockets (docs/protocol.md "Multiplexed
/// exchanges"): unary calls share a few connections, each carrying up to
/// <c>maxExchangesPerConnection</c> calls at once, tagged with exchange ids and answered in any
/// order. Concurrent calls' requests leave in one send and their answers arrive in one read, where
/// a connection per call paid a send, a receive and two wake-ups each. A call goes to the connection
/// with the fewest calls in flight; another connection is opened when all carry the most allowed.
/// </summary>
internal sealed class MultiplexedConnections<TRequest, TResponse>(ITransportConnector connector, EndPoint endPoint, int maxConnections, int maxExchangesPerConnection) : IAsyncDisposable
    where TRequest : class, IRpcRequest<TRequest>
    where TResponse : class, IRpcResponse<TResponse>
{
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Lock _lock = new();
    private MultiplexedConnection[] _connections = [];
    private volatile bool _disposed;

    /// <summary>
    /// Sends <paramref name="request"/> on the least loaded connection (<paramref name="fresh"/>: on a
    /// new one) and returns its answer, to be awaited once. A call whose connection closed before it
    /// was answered fails with <see cref="ConnectionLostException"/>; the caller sends it once more on
    /// a fresh connection when that connection had answered earlier calls (the server restarted, or
    /// closed it while idle), as the pooled connections retry a stale one.
    /// </summary>
    public ValueTask<TResponse> CallAsync(TRequest request, bool fresh, CancellationToken cancellationToken)
    {
        // No state machine while a connection is open: the exchange is what the caller awaits.
        var acquiring = AcquireAsync(fresh, cancellationToken);
        return acquiring.IsCompletedSuccessfully
            ? acquiring.Result.CallAsync(request, cancellationToken)
            : CallWhenConnectedAsync(acquiring, request, cancellationToken);
    }

    /// <summary>Opens a connection now (a warm process does this before its first call).</summary>
    public async ValueTask ConnectAsync(CancellationToken cancellationToken) =>
        await AcquireAsync(fresh: false, cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        MultiplexedConnection[] connections;
        lock (_lock)
        {
            connections = _connections;
            _connections = [];
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async ValueTask<TResponse> CallWhenConnectedAsync(ValueTask<MultiplexedConnection> acquiring, TRequest request, CancellationToken cancellationToken)
    {
        var connection = await acquiring.ConfigureAwait(false);
        return await connection.CallAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<MultiplexedConnection> AcquireAsync(bool fresh, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!fresh && LeastLoaded(out var count) is { } least && (least.InFlight < maxExchangesPerConnection || count >= maxConnections))
        {
            return least;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have opened one meanwhile.
            if (!fresh && LeastLoaded(out count) is { } opened && (opened.InFlight < maxExchangesPerConnection || count >= maxConnections))
            {
                return opened;
            }

            var transport = await connector.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            IRpcStream stream;
            try
            {
                stream = await transport.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await transport.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var connection = new MultiplexedConnection(transport, stream, Remove);
            lock (_lock)
            {
                _connections = [.. _connections, connection];
            }

            if (_disposed)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                ObjectDisposedException.ThrowIf(true, this);
            }

            connection.Start();
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private MultiplexedConnection? LeastLoaded(out int count)
    {
        var connections = Volatile.Read(ref _connections);
        count = connections.Length;
        MultiplexedConnection? least = null;
        foreach (var connection in connections)
        {
            if (connection.IsOpen && (least is null || connection.InFlight < least.InFlight))
            {
                least = connection;
            }
        }

        return least;
    }

    private void Remove(MultiplexedConnection closed)
    {
        lock (_lock)
        {
            _connections = [.. _connections.Where(connection => !ReferenceEquals(connection, closed))];
        }
    }

    /// <summary>A call's connection closed before it was answered (the cause is the inner exception); <see cref="Reused"/>: the connection had answered earlier calls.</summary>
    internal sealed class ConnectionLostException(Exception failure, bool reused) : Exception(failure.Message, failure)
    {
        public bool Reused { get; } = reused;
    }

    /// <summary>One connection: a shared writer, the calls awaiting answers by exchange id, and a loop reading the answers.</summary>
    private sealed class MultiplexedConnection(ITransportConnection transport, IRpcStream stream, Action<MultiplexedConnection> closed) : IAsyncDisposable
    {
        // A deferred flush that fails breaks the connection; its read loop then fails every call on it.
        private readonly SharedFrameWriter _writer = new(stream.Writer, _ => stream.Abort());
        private readonly Dictionary<uint, Exchange> _exchanges = [];
        private uint _lastId;
        private int _inFlight;
        private int _answered;
        private Exception? _failure;

        // The credential the server bound this connection to (docs/security.md "The connection's
        // credential"), once an answer said so: requests carrying it leave it out.
        private string? _boundCredential;

        public int InFlight => Volatile.Read(ref _inFlight);

        public bool IsOpen => Volatile.Read(ref _failure) is null;

        public void Start() => _ = ReadAnswersAsync();

        /// <summary>
        /// Sends the call and returns the exchange its answer completes: no task and no state machine of
        /// its own, as the exchange carries the cancellation (an abandoned call's answer, when it comes,
        /// is read and dropped).
        /// </summary>
        public ValueTask<TResponse> CallAsync(TRequest request, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<TResponse>(cancellationToken);
            }

            // Watched before anyone else can complete it, so that whoever does unregisters it.
            var credential = request.Credential;
            var exchange = new Exchange(reused: Volatile.Read(ref _answered) > 0, credential, cancellationToken);
            lock (_exchanges)
            {
                if (_failure is { } failure)
                {
                    exchange.Fail(new ConnectionLostException(failure, exchange.Reused));
                    return exchange.Answered;
                }

                // Ids only have to differ among the calls in flight; 0 means "none".
                do
                {
                    _lastId++;
                }
                while (_lastId == 0 || _exchanges.ContainsKey(_lastId));

                request.ExchangeId = _lastId;
                _exchanges.Add(_lastId, exchange);
            }

            // The caller restores the credential before it sends the request anywhere else.
            if (credential.Length > 0 && string.Equals(credential, Volatile.Read(ref _boundCredential), StringComparison.Ordinal))
            {
                request.Credential = string.Empty;
            }

            Interlocked.Increment(ref _inFlight);
            Send(request);
            return exchange.Answered;
        }

        public async ValueTask DisposeAsync()
        {
            Fail(new ObjectDisposedException(nameof(RpcClient<TRequest, TResponse>), "The client was disposed."));
            await transport.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>Writes the request (its flush may be left to a call writing after it); a failed write fails the connection.</summary>
        private void Send(TRequest request)
        {
            ValueTask writing;
            try
            {
                // Other calls in flight on this connection: more requests are likely on their way (the answers of
                // one commit come back together), so they leave in one send. A lone call's request leaves at once.
                writing = _writer.WriteAsync(FrameType.Request, request, deferFlush: InFlight > 1, CancellationToken.None);
            }
            catch (Exception ex)
            {
                Fail(ex);
                return;
            }

            if (writing.IsCompletedSuccessfully)
            {
                writing.GetAwaiter().GetResult();
            }
            else
            {
                _ = FailIfUnsentAsync(writing);
            }
        }

        private async Task FailIfUnsentAsync(ValueTask writing)
        {
            try
            {
                await writing.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }

        /// <summary>
        /// Reads answers as a pooled connection's exchange does (a body no call asked for is read past)
        /// and completes each call by its id. An Error frame names no exchange, so it fails every call,
        /// as do an undecodable answer and the connection's end.
        /// </summary>
        private async Task ReadAnswersAsync()
        {
            Exception failure;
            try
            {
                while (true)
                {
                    var answer = await RpcClient<TRequest, TResponse>.ReadReplyAsync(stream, body: null, CancellationToken.None).ConfigureAwait(false);
                    if (Take(answer.ExchangeId) is { } exchange)
                    {
                        if (answer.CredentialBound && exchange.Credential.Length > 0)
                        {
                            Volatile.Write(ref _boundCredential, exchange.Credential);
                        }

                        exchange.Answer(answer);
                    }
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            Fail(failure);
            await transport.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>The call answered by <paramref name="id"/>; 0 (a server that does not multiplex answers in turn): the oldest.</summary>
        private Exchange? Take(uint id)
        {
            Exchange? exchange;
            lock (_exchanges)
            {
                if (id == 0 && _exchanges.Count > 0)
                {
                    id = OldestId();
                }

                if (!_exchanges.Remove(id, out exchange))
                {
                    return null;
                }
            }

            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _answered);
            return exchange;
        }

        /// <summary>The id sent longest ago (ids grow, wrapping past 0).</summary>
        private uint OldestId()
        {
            uint oldest = 0;
            uint oldestAge = 0;
            foreach (var id in _exchanges.Keys)
            {
                var age = unchecked(_lastId - id);
                if (oldest == 0 || age > oldestAge)
                {
                    (oldest, oldestAge) = (id, age);
                }
            }

            return oldest;
        }

        /// <summary>Closes the connection for new calls and fails the ones in flight with <paramref name="failure"/>.</summary>
        private void Fail(Exception failure)
        {
            Exchange[] pending;
            lock (_exchanges)
            {
                if (_failure is not null)
                {
                    return;
                }

                _failure = failure;
                pending = [.. _exchanges.Values];
                _exchanges.Clear();
            }

            closed(this);
            stream.Abort();
            foreach (var exchange in pending)
            {
                exchange.Fail(new ConnectionLostException(failure, exchange.Reused));
            }
        }
    }

    /// <summary>
    /// A call awaiting its answer, or its caller's cancellation, awaited once by the caller; its
    /// continuation runs off the read loop, which goes on reading. The answer, the connection's failure
    /// and the cancellation race to settle it; the first wins.
    /// </summary>
    private sealed class Exchange : IValueTaskSource<TResponse>
    {
        private FirstWinsValueTaskSourceCore<TResponse> _answer = new();
        private readonly CancellationTokenRegistration _cancellation;

        public Exchange(bool reused, string credential, CancellationToken cancellationToken)
        {
            Reused = reused;
            Credential = credential;
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((Exchange)state!)._answer.TrySetException(new OperationCanceledException(token)), this);
        }

        public bool Reused { get; }

        /// <summary>The credential the call presented (sent, or left out as the connection's).</summary>
        public string Credential { get; }

        public ValueTask<TResponse> Answered => new(this, _answer.Version);

        public void Answer(TResponse answer)
        {
            Unlink();
            _answer.TrySetResult(answer);
        }

        public void Fail(Exception failure)
        {
            Unlink();
            _answer.TrySetException(failure);
        }

        TResponse IValueTaskSource<TResponse>.GetResult(short token) => _answer.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<TResponse>.GetStatus(short token) => _answer.GetStatus(token);

        void IValueTaskSource<TResponse>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _answer.OnCompleted(continuation, state, token, flags);

        // Unregister, not Dispose: it must not wait for a cancellation callback running elsewhere.
        private void Unlink() => _cancellation.Unregister();
    }
}

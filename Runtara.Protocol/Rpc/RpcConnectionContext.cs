using System.Collections.Concurrent;
using System.Net;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// What a server knows about one client connection. <see cref="Identity"/> is the slot that
/// authentication fills (e.g. the instance a credential was presented for) and authorization reads.
/// </summary>
public sealed class RpcConnectionContext
{
    private object? _identity;
    private VerifiedCredential? _verified;
    private VerifiedCredential? _bound;
    private readonly Lock _rateLock = new();
    private double _rateTokens = double.NaN;
    private long _rateStamp;
    private double _rateBudgetSeen;
    private int _authenticated;
    private int _lanes;
    private ConcurrentDictionary<string, object?>? _items;

    /// <summary>Describes a newly accepted connection.</summary>
    /// <param name="id">Server-unique connection number.</param>
    /// <param name="transport">The transport the connection uses.</param>
    /// <param name="remoteEndPoint">The client's address.</param>
    public RpcConnectionContext(long id, TransportKind transport, EndPoint remoteEndPoint)
    {
        Id = id;
        Transport = transport;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>Server-unique connection number.</summary>
    public long Id { get; }

    /// <summary>The transport the connection uses.</summary>
    public TransportKind Transport { get; }

    /// <summary>The client's address.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>The authenticated identity bound to this connection, if any.</summary>
    public object? Identity
    {
        get => Volatile.Read(ref _identity);
        set => Volatile.Write(ref _identity, value);
    }

    /// <summary>The identity verified for <paramref name="credential"/> on this connection, or null when it was not the last one verified.</summary>
    internal RpcIdentity? CachedIdentity(string credential) =>
        Volatile.Read(ref _verified) is { } verified && string.Equals(verified.Credential, credential, StringComparison.Ordinal) ? verified.Identity : null;

    /// <summary>
    /// The identity of the connection's credential: the first one verified on it, for good. A request
    /// that leaves its credential empty presents this one again (docs/security.md "The connection's
    /// credential"); null until a credential was verified.
    /// </summary>
    internal RpcIdentity? BoundIdentity => Volatile.Read(ref _bound)?.Identity;

    /// <summary>True when <paramref name="credential"/> is the connection's credential.</summary>
    internal bool IsBound(string credential) =>
        credential.Length > 0 && Volatile.Read(ref _bound) is { } bound && string.Equals(bound.Credential, credential, StringComparison.Ordinal);

    /// <summary>True once a request on this connection carried a valid credential (the pre-authentication frame cap no longer applies).</summary>
    public bool HasAuthenticated => Volatile.Read(ref _authenticated) != 0;

    /// <summary>Remembers the last verified credential (one object, so concurrent QUIC streams see a consistent pair).</summary>
    internal void RememberIdentity(string credential, RpcIdentity identity)
    {
        var verified = new VerifiedCredential(credential, identity);
        Volatile.Write(ref _verified, verified);

        // The first credential verified becomes the connection's and stays so (an expired one keeps
        // failing its calls until the client sends a renewed one in full).
        Interlocked.CompareExchange(ref _bound, verified, null);
        Identity = identity;
        Volatile.Write(ref _authenticated, 1);
    }

    /// <summary>Forgets the cached credential (e.g. after it expired).</summary>
    internal void ForgetIdentity() => Volatile.Write(ref _verified, null);

    /// <summary>The number of streams the connection serves at once (QUIC); a sequential (TCP) connection has none and counts as one.</summary>
    internal int OpenLanes => Volatile.Read(ref _lanes);

    /// <summary>Counts a stream the connection has opened: the rate limit is per lane, so a multiplexed connection's budget grows with its streams.</summary>
    internal void OpenLane() => Interlocked.Increment(ref _lanes);

    /// <summary>Counts a stream that ended.</summary>
    internal void CloseLane() => Interlocked.Decrement(ref _lanes);

    /// <summary>
    /// Token bucket of the connection's RPC rate: <paramref name="perSecond"/> per lane refilled per
    /// second, as many in a burst. A TCP connection is one lane; a QUIC connection has one per open
    /// stream, as its streams replace the connections a TCP client would pool.
    /// </summary>
    internal bool TryTakeRequest(int perSecond)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var budget = (double)perSecond * Math.Max(1, OpenLanes);
        lock (_rateLock)
        {
            if (double.IsNaN(_rateTokens))
            {
                _rateTokens = budget;
            }
            else
            {
                // A lane beyond the most seen so far brings its burst; closing and reopening streams does not.
                var elapsed = (now - _rateStamp) / (double)System.Diagnostics.Stopwatch.Frequency;
                _rateTokens = Math.Min(budget, _rateTokens + (elapsed * budget) + Math.Max(0, budget - _rateBudgetSeen));
            }

            _rateBudgetSeen = Math.Max(_rateBudgetSeen, budget);

            _rateStamp = now;
            if (_rateTokens < 1)
            {
                return false;
            }

            _rateTokens -= 1;
            return true;
        }
    }

    /// <summary>Per-connection state for handlers.</summary>
    /// <remarks>Created on first use: few handlers need it, and idle connections should cost little (a dictionary is ~0.5 KiB, more with more processors).</remarks>
    public ConcurrentDictionary<string, object?> Items =>
        LazyInitializer.EnsureInitialized(ref _items, static () => new ConcurrentDictionary<string, object?>(StringComparer.Ordinal));

    private sealed record VerifiedCredential(string Credential, RpcIdentity Identity);
}

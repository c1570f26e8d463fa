using System.ComponentModel.DataAnnotations;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>Settings of an RPC client.</summary>
public sealed class RpcClientOptions
{
    /// <summary>
    /// Server address: <c>host:port</c>, <c>[v6]:port</c>, or a URI such as <c>tcp://host:port</c>
    /// (the form Aspire service discovery hands out). Host names are resolved. A comma-separated list
    /// (<c>host1:port1,host2:port2</c>) names interchangeable servers: a connection that cannot be made
    /// to one is made to the next, and the client keeps to the one that works (<see cref="FailoverConnector"/>).
    /// </summary>
    [Required]
    public string Address { get; set; } = "127.0.0.1:8001";

    /// <summary>Auto picks QUIC where supported, otherwise TLS/TCP.</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>How the server certificate is verified.</summary>
    public ClientTlsOptions Tls { get; set; } = new();

    /// <summary>Time allowed to connect and complete the handshake (SPEC §2.2: 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Deadline applied to each call that does not bring its own (the original had none, SPEC §19.18).
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>QUIC keep-alive interval (SPEC §2.2: 10 s).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>QUIC idle timeout (SPEC §2.2: 30 s).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most RPCs in flight at once: pooled connections on TLS/TCP, pooled streams of the one connection on QUIC (keep it within the server's <c>MaxConcurrentStreamsPerConnection</c>).</summary>
    [Range(1, 10_000)]
    public int MaxConnections { get; set; } = 128;

    /// <summary>
    /// Unary calls one TLS/TCP or Unix-socket connection carries at once (docs/protocol.md "Multiplexed
    /// exchanges"): concurrent calls share a few connections, tagged with exchange ids and answered in
    /// any order, and a new connection opens when every one carries this many. 1 turns multiplexing
    /// off: each call takes a pooled connection of its own. One-way sends, uploads and downloads always
    /// do; QUIC multiplexes with its streams.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxExchangesPerConnection { get; set; } = 32;

    /// <summary>Largest frame payload sent or accepted (default 64 MiB).</summary>
    [Range(1024, int.MaxValue)]
    public int MaxFrameSize { get; set; } = FrameCodec.DefaultMaxPayloadSize;

    /// <summary>
    /// The servers' cap on frames sent before a connection has authenticated
    /// (<see cref="RpcServerOptions.MaxUnauthenticatedFrameSize"/>, default 64 KiB). When a connection's
    /// first authenticated request would be larger, the client first sends an empty envelope with the
    /// credential on it (answered EMPTY_REQUEST once the credential is valid), then the request.
    /// Keep it at most the server's value.
    /// </summary>
    [Range(1024, int.MaxValue)]
    public int MaxUnauthenticatedFrameSize { get; set; } = RpcServerOptions.DefaultMaxUnauthenticatedFrameSize;

    /// <summary>
    /// Supplies the credential put into every request envelope that does not carry its own (field
    /// 102; docs/security.md). Called per call, so a renewed token is picked up at once.
    /// </summary>
    public Func<string?>? CredentialProvider { get; set; }
}

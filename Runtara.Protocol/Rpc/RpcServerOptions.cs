using System.ComponentModel.DataAnnotations;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>Settings of one RPC server (one protocol on one port).</summary>
public sealed class RpcServerOptions
{
    /// <summary>Address to bind; <c>0.0.0.0</c> (all IPv4), <c>::</c> (all, dual-stack) or a specific address.</summary>
    [Required]
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Port number: TCP for TLS and, when QUIC runs, UDP for QUIC. 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Auto: TLS/TCP always, plus QUIC on the same port number where supported. Tcp: TLS/TCP only.
    /// Quic: both, and start-up fails where QUIC is not supported.
    /// </summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>
    /// Also listen on a Unix domain socket at this path (same frames, no TLS; <see cref="TransportKind.Unix"/>).
    /// Null or empty: no Unix socket.
    /// </summary>
    public string? UnixSocketPath { get; set; }

    /// <summary>Where the certificate comes from.</summary>
    public ServerTlsOptions Tls { get; set; } = new();

    /// <summary>Largest frame payload accepted or sent (default 64 MiB).</summary>
    [Range(1024, int.MaxValue)]
    public int MaxFrameSize { get; set; } = FrameCodec.DefaultMaxPayloadSize;

    /// <summary>
    /// Largest frame payload accepted on a connection until one of its requests carried a valid
    /// credential (default 64 KiB), so a peer without credentials cannot make the server buffer
    /// <see cref="MaxFrameSize"/> bytes. Larger frames are answered FRAME_TOO_LARGE before their payload
    /// is read. Applies only to servers with an authenticator; clamped to <see cref="MaxFrameSize"/>.
    /// The RPC client sends a small authenticated request first when a new connection's first
    /// request is larger (<see cref="RpcClientOptions.MaxUnauthenticatedFrameSize"/>).
    /// </summary>
    [Range(1024, int.MaxValue)]
    public int MaxUnauthenticatedFrameSize { get; set; } = DefaultMaxUnauthenticatedFrameSize;

    /// <summary>The default of <see cref="MaxUnauthenticatedFrameSize"/> (64 KiB: a streamed upload's chunk fits).</summary>
    public const int DefaultMaxUnauthenticatedFrameSize = 64 * 1024;

    /// <summary>Open connections at once; more are answered RESOURCE_EXHAUSTED and closed.</summary>
    [Range(1, int.MaxValue)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Concurrent RPCs per QUIC connection, and multiplexed exchanges per TLS/TCP or Unix-socket connection (docs/protocol.md "Multiplexed exchanges"); beyond it the server stops reading the connection until one ends.</summary>
    [Range(1, 65535)]
    public int MaxConcurrentStreamsPerConnection { get; set; } = 1_000;

    /// <summary>
    /// RPCs one connection may make per second (a token bucket refilled at this rate, holding as
    /// many); more are answered RESOURCE_EXHAUSTED. 0 disables the limit. A QUIC connection gets
    /// this per open stream, as its streams stand in for the connections a TCP client pools.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MaxRequestsPerSecondPerConnection { get; set; } = 50_000;

    /// <summary>
    /// Once the first byte of a request has arrived, the rest of its frame must arrive within this
    /// time, or the connection is closed (a client that sends a partial frame and stalls holds nothing).
    /// </summary>
    public TimeSpan RequestReadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for a TLS handshake.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>QUIC idle timeout (SPEC §2.1 server default 120 s).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>QUIC keep-alive interval (SPEC §2.1 server default 15 s).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a graceful stop waits for in-flight RPCs before cancelling them.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Listen backlog.</summary>
    [Range(1, 65535)]
    public int Backlog { get; set; } = 512;

    /// <summary>The options of one protocol server on <paramref name="port"/> from a service's settings.</summary>
    public static RpcServerOptions From(IRpcServerSettings settings, int port, ServerTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(tls);
        return new()
        {
            BindAddress = settings.BindAddress,
            Port = port,
            Transport = settings.Transport,
            Tls = tls,
            MaxConnections = settings.MaxConnections,
            MaxFrameSize = settings.MaxFrameSize,
            MaxUnauthenticatedFrameSize = settings.MaxUnauthenticatedFrameSize,
            MaxConcurrentStreamsPerConnection = settings.MaxConcurrentStreamsPerConnection,
            MaxRequestsPerSecondPerConnection = settings.MaxRequestsPerSecondPerConnection,
            RequestReadTimeout = settings.RequestReadTimeout,
            ShutdownTimeout = settings.ShutdownTimeout,
        };
    }
}

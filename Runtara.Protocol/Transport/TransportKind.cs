namespace Runtara.Protocol.Transport;

/// <summary>Which transport carries the frames.</summary>
public enum TransportKind
{
    /// <summary>QUIC where the machine supports it (msquic present), otherwise TLS over TCP.</summary>
    Auto,

    /// <summary>QUIC (System.Net.Quic), one RPC per bidirectional stream.</summary>
    Quic,

    /// <summary>TLS over TCP, one RPC at a time per pooled connection.</summary>
    Tcp,

    /// <summary>
    /// A Unix domain socket on this machine (<c>unix:/path</c> addresses), one RPC at a time per pooled
    /// connection, without TLS: the bytes never leave the kernel, the socket file's permissions decide
    /// who may connect, and every call still carries its credential (docs/security.md).
    /// </summary>
    Unix,
}

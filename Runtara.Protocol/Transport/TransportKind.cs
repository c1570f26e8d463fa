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
}

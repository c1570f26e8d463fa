using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// The server settings a service exposes in its own configuration section (<c>Runtara:Core:*</c>,
/// <c>Runtara:Environment:*</c>), so every protocol server of every service is built from them the same way
/// (<see cref="RpcServerOptions.From"/>).
/// </summary>
public interface IRpcServerSettings
{
    /// <summary>Address the protocol servers bind to.</summary>
    string BindAddress { get; }

    /// <summary>Auto, Tcp or Quic.</summary>
    TransportKind Transport { get; }

    /// <summary>Open connections at once per server.</summary>
    int MaxConnections { get; }

    /// <summary>Largest frame payload accepted or sent.</summary>
    int MaxFrameSize { get; }

    /// <summary>Largest frame payload accepted on a connection before one of its requests authenticated.</summary>
    int MaxUnauthenticatedFrameSize { get; }

    /// <summary>Concurrent RPCs per QUIC connection.</summary>
    int MaxConcurrentStreamsPerConnection { get; }

    /// <summary>RPCs one connection may make per second; 0 disables the limit.</summary>
    int MaxRequestsPerSecondPerConnection { get; }

    /// <summary>Time for the rest of a request's frame once its first byte has arrived.</summary>
    TimeSpan RequestReadTimeout { get; }

    /// <summary>How long a graceful stop waits for in-flight RPCs.</summary>
    TimeSpan ShutdownTimeout { get; }
}

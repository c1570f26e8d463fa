using System.Net.Quic;

namespace Runtara.Protocol.Transport;

/// <summary>Which transports this machine can run, and the choice <see cref="TransportKind.Auto"/> makes.</summary>
public static class TransportSupport
{
    /// <summary>
    /// True when System.Net.Quic can listen and connect here: Windows 11 / Server 2022 out of the box,
    /// Linux with Microsoft's libmsquic on the loader path, macOS with msquic installed.
    /// </summary>
    public static bool IsQuicSupported =>
        (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
        && QuicListener.IsSupported
        && QuicConnection.IsSupported;

    /// <summary>The explanation given when QUIC is asked for but cannot run.</summary>
    public const string QuicUnavailableMessage =
        "QUIC is not supported on this machine: System.Net.Quic needs msquic (on Linux, Microsoft's libmsquic package on the loader path). Use Transport=Tcp or Auto.";

    /// <summary>Why <paramref name="requested"/> cannot run here; null when it can. Servers check it with their other options, before they touch anything.</summary>
    public static string? Problem(TransportKind requested) => requested == TransportKind.Quic && !IsQuicSupported ? QuicUnavailableMessage : null;

    /// <summary>Resolves <see cref="TransportKind.Auto"/>; throws when QUIC is required but unavailable.</summary>
    public static TransportKind Resolve(TransportKind requested) => requested switch
    {
        TransportKind.Auto => IsQuicSupported ? TransportKind.Quic : TransportKind.Tcp,
        TransportKind.Quic when !IsQuicSupported => throw new PlatformNotSupportedException(QuicUnavailableMessage),
        _ => requested,
    };
}

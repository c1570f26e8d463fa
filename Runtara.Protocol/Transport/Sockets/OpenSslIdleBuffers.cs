using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Runtara.Protocol.Transport.Sockets;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers whenever they are empty (<c>SSL_MODE_RELEASE_BUFFERS</c>).
/// Without it OpenSSL keeps a read and a write buffer (~34 KiB together) for the whole life of a connection: most of
/// what an idle server connection costs (docs/performance.md, "Idle connections"). .NET sets no such mode and has
/// no API for it, so this reaches the connection's SSL handle, which <see cref="SslStream"/> keeps in a private
/// field (read by reflection once per connection, after its handshake).
/// Where that is not possible — not OpenSSL 3 (Windows, macOS, OpenSSL 1.1), or a runtime whose SslStream
/// is laid out differently — nothing changes and <see cref="TryEnable"/> says so.
/// </summary>
internal static partial class OpenSslIdleBuffers
{
    private const int SslCtrlMode = 33; // SSL_CTRL_MODE
    private const long SslModeReleaseBuffers = 0x10; // SSL_MODE_RELEASE_BUFFERS

    /// <summary>
    /// Only where .NET itself uses OpenSSL 3 (<c>libssl.so.3</c>): the SSL handle must be handed to the very
    /// library that made it, and OpenSSL 3 is the one soname this class loads.
    /// </summary>
    public static bool IsSupported { get; } = (OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD()) && OpenSslMajorVersion() == 3;

    // A constant name on a known type: the trimmer keeps the field, and native AOT can read it.
    private static readonly FieldInfo? SecurityContextField = typeof(SslStream).GetField("_securityContext", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>Sets the mode on <paramref name="stream"/>'s connection (after its handshake); false when it could not.</summary>
    public static bool TryEnable(SslStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!IsSupported)
        {
            return false;
        }

        try
        {
            if (SecurityContext(stream) is not SafeHandle { IsInvalid: false, IsClosed: false } context)
            {
                return false;
            }

            var added = false;
            try
            {
                context.DangerousAddRef(ref added);
                var mode = SslCtrl(context.DangerousGetHandle(), SslCtrlMode, SslModeReleaseBuffers, 0);
                return (mode & SslModeReleaseBuffers) != 0;
            }
            finally
            {
                if (added)
                {
                    context.DangerousRelease();
                }
            }
        }
        catch (Exception ex) when (ex is MissingFieldException or TypeLoadException or DllNotFoundException or EntryPointNotFoundException or ObjectDisposedException)
        {
            return false;
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static int OpenSslMajorVersion()
    {
        try
        {
            // 0xMNN00PP0L: the major version in the top nibble.
            return (int)((SafeEvpPKeyHandle.OpenSslVersion >> 28) & 0xF);
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return 0;
        }
    }

    /// <summary>The SslStream's security context: on Linux a SafeHandle whose handle is the connection's SSL*.</summary>
    private static object? SecurityContext(SslStream stream) =>
        (SecurityContextField ?? throw new MissingFieldException(nameof(SslStream), "_securityContext")).GetValue(stream);

    /// <summary>SSL_ctrl(3): returns the connection's mode after setting the bits of <paramref name="larg"/>.</summary>
    [LibraryImport("libssl.so.3", EntryPoint = "SSL_ctrl")]
    private static partial long SslCtrl(nint ssl, int cmd, long larg, nint parg);
}

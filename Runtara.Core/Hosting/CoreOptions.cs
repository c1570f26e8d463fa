using System.ComponentModel.DataAnnotations;
using Runtara.Protocol.Hosting;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Core.Hosting;

/// <summary>
/// Settings of the core server, bound from <c>Runtara:Core</c> (environment variables such as
/// <c>Runtara__Core__InstancePort</c> and command-line <c>--Runtara:Core:InstancePort=…</c> work too).
/// Validated at start-up by <c>CoreOptionsValidator</c> (the attributes here, then the cross-field
/// checks). The same section also binds the engine's settings (storage, limits of the instance
/// rules: <see cref="Runtara.Engine.Hosting.EngineOptions"/>). See docs/core.md.
/// </summary>
public sealed class CoreOptions : IRpcServerSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Runtara:Core";

    /// <summary>Port of the instance protocol (instances → core). 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int InstancePort { get; set; } = 8001;

    /// <summary>Port of the management protocol (environment → core). 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int ManagementPort { get; set; } = 8003;

    /// <summary>
    /// Also serve the instance protocol on a Unix domain socket (default on where the OS has them):
    /// instances on this machine connect to <c>unix:&lt;path&gt;</c> without a TLS handshake (docs/core.md,
    /// docs/security.md). The path is <see cref="InstanceSocketPath"/>.
    /// </summary>
    public bool InstanceSocket { get; set; } = true;

    /// <summary>
    /// The instance socket's path; default <c>&lt;data&gt;/instance.sock</c>. A default path longer than a
    /// socket address allows (107 bytes) is skipped with a log line; a configured one fails start-up.
    /// </summary>
    public string? InstanceSocketPath { get; set; }

    /// <summary>Address both protocol ports bind to: <c>127.0.0.1</c> (default, this machine only), <c>0.0.0.0</c>, <c>::</c> or a specific address.</summary>
    [Required]
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Auto: TLS/TCP always plus QUIC where msquic exists; Tcp: TLS/TCP only; Quic: fail at start-up without QUIC.</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>Data directory (SQLite file, development certificate, endpoints file). Relative paths are under the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Open connections per protocol port; more are refused with RESOURCE_EXHAUSTED.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Largest RPC frame payload, in bytes (default 64 MiB, SPEC §3.1).</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxFrameSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>Largest frame payload a connection may send before one of its requests carried a valid credential (default 64 KiB; docs/security.md).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxUnauthenticatedFrameSize { get; set; } = RpcServerOptions.DefaultMaxUnauthenticatedFrameSize;

    /// <summary>How long a graceful stop waits for in-flight RPCs.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Server certificate. With no certificate path, a development certificate is generated into
    /// <c>&lt;data&gt;/tls</c> (or <see cref="ServerTlsOptions.DevelopmentCertificateDirectory"/>); clients pin <c>runtara-dev.crt</c>.
    /// </summary>
    public ServerTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// Keys that verify instance tokens (instance protocol) and the environment's service tokens
    /// (management protocol): <c>Runtara:Core:Security:Keys:&lt;id&gt;</c>, <c>SigningKeyId</c>, or a
    /// <c>KeyFile</c> (default <c>&lt;data&gt;/security/runtara.keys</c>, generated on first start).
    /// The environment must hold the same keys. See docs/security.md.
    /// </summary>
    public TokenKeyOptions Security { get; set; } = new();

    /// <summary>Lifetime of the instance tokens the core hands out on RenewCredential (default 1 h).</summary>
    [PositiveDuration]
    public TimeSpan InstanceTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>RPCs one connection may make per second on either port (per open stream on QUIC); more get RESOURCE_EXHAUSTED. 0 = no limit.</summary>
    [Range(0, int.MaxValue)]
    public int MaxRequestsPerSecondPerConnection { get; set; } = 50_000;

    /// <summary>Concurrent RPCs per QUIC connection.</summary>
    [Range(1, 65535)]
    public int MaxConcurrentStreamsPerConnection { get; set; } = 1_000;

    /// <summary>Once a request has begun, its frame must arrive within this time or the connection is closed (slow-client protection).</summary>
    [PositiveDuration]
    public TimeSpan RequestReadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Mutual TLS on the management port: the environment must present a certificate trusted by <see cref="ManagementClientCaCertificatePath"/>.</summary>
    public bool ManagementRequireClientCertificate { get; set; }

    /// <summary>PEM CA (or exact certificates) trusted for client certificates on the management port.</summary>
    public string? ManagementClientCaCertificatePath { get; set; }

    /// <summary>The data directory as an absolute path.</summary>
    public string ResolveDataDirectory() => Path.GetFullPath(DataDirectory, Directory.GetCurrentDirectory());

    /// <summary>Longest path a Unix socket address holds (sun_path is 108 bytes with its terminator on Linux).</summary>
    public const int MaxSocketPathBytes = 107;

    /// <summary>The instance socket's absolute path, or null when there is none (switched off, no Unix sockets here, or a default path too long).</summary>
    public string? ResolveInstanceSocketPath()
    {
        if (!InstanceSocket || !System.Net.Sockets.Socket.OSSupportsUnixDomainSockets)
        {
            return null;
        }

        if (!string.IsNullOrWhiteSpace(InstanceSocketPath))
        {
            return Path.GetFullPath(InstanceSocketPath, Directory.GetCurrentDirectory());
        }

        var path = Path.Combine(ResolveDataDirectory(), "instance.sock");
        return System.Text.Encoding.UTF8.GetByteCount(path) <= MaxSocketPathBytes ? path : null;
    }
}

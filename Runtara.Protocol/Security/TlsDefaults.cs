using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Runtara.Protocol.Security;

/// <summary>TLS settings common to both transports.</summary>
public static class TlsDefaults
{
    /// <summary>The ALPN protocol id of Runtara's framing, version 1 (SPEC §20: the original had none).</summary>
    public static readonly SslApplicationProtocol ApplicationProtocol = new("runtara/1");

    /// <summary>Server-side TLS options for a certificate.</summary>
    public static SslServerAuthenticationOptions CreateServerOptions(X509Certificate2 certificate) => new()
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
        ApplicationProtocols = [ApplicationProtocol],
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    /// <summary>Client-side TLS options: the server name to verify and how to trust the certificate.</summary>
    public static SslClientAuthenticationOptions CreateClientOptions(string serverName, ClientTlsOptions options) => new()
    {
        TargetHost = serverName,
        ApplicationProtocols = [ApplicationProtocol],
        RemoteCertificateValidationCallback = CertificateValidation.CreateCallback(options),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };
}

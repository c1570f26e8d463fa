using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Runtara.Protocol.Security;

/// <summary>TLS settings common to both transports.</summary>
public static class TlsDefaults
{
    /// <summary>The ALPN protocol id of Runtara's framing, version 1 (SPEC §20: the original had none).</summary>
    public static readonly SslApplicationProtocol ApplicationProtocol = new("runtara/1");

    /// <summary>
    /// QUIC only: the ALPN protocol id under which a stream carries exchanges one after another, delimited
    /// by their frames as on TCP, so clients keep their streams (docs/protocol.md). Under
    /// <see cref="ApplicationProtocol"/> a QUIC stream carries one exchange, as in runtara 1.4.1.
    /// </summary>
    public static readonly SslApplicationProtocol ReusableStreamsProtocol = new("runtara/2");

    /// <summary>What QUIC peers offer, preferred first (a fresh list per options object, which may change it).</summary>
    internal static List<SslApplicationProtocol> QuicApplicationProtocols() => [ReusableStreamsProtocol, ApplicationProtocol];

    /// <summary>Server-side TLS options for a certificate.</summary>
    public static SslServerAuthenticationOptions CreateServerOptions(X509Certificate2 certificate) => CreateServerOptions(certificate, tls: null);

    /// <summary>Server-side TLS options for a certificate, requiring client certificates when <paramref name="tls"/> says so (mutual TLS).</summary>
    public static SslServerAuthenticationOptions CreateServerOptions(X509Certificate2 certificate, ServerTlsOptions? tls)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
            ApplicationProtocols = [ApplicationProtocol],
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (tls?.RequireClientCertificate == true)
        {
            if (string.IsNullOrWhiteSpace(tls.ClientCaCertificatePath))
            {
                throw new InvalidOperationException("RequireClientCertificate needs ClientCaCertificatePath: the CA (or exact certificates) trusted for client certificates.");
            }

            options.ClientCertificateRequired = true;
            options.RemoteCertificateValidationCallback = CertificateValidation.CreateClientCertificateCallback(tls.ClientCaCertificatePath);
        }

        return options;
    }

    /// <summary>Client-side TLS options: the server name to verify and how to trust the certificate.</summary>
    public static SslClientAuthenticationOptions CreateClientOptions(string serverName, ClientTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = [ApplicationProtocol],
            RemoteCertificateValidationCallback = CertificateValidation.CreateCallback(options),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (!string.IsNullOrWhiteSpace(options.ClientCertificatePath))
        {
            client.ClientCertificates = [CertificateLoader.LoadWithKey(options.ClientCertificatePath, options.ClientKeyPath)];
        }

        return client;
    }
}

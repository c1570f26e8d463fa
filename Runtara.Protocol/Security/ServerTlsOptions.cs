namespace Runtara.Protocol.Security;

/// <summary>Where a server's certificate comes from.</summary>
public sealed class ServerTlsOptions
{
    /// <summary>PEM certificate (chain) or PFX/PKCS#12 file. When empty, a development certificate is used.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key file, when <see cref="CertificatePath"/> is PEM and does not include the key.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of the PFX file or of an encrypted PEM key.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Directory where the development certificate is generated and kept (PEM) when no certificate
    /// is configured. Clients pin <c>runtara-dev.crt</c> from there.
    /// </summary>
    public string? DevelopmentCertificateDirectory { get; set; }

    /// <summary>
    /// Mutual TLS: when true, a client must present a certificate that chains to
    /// <see cref="ClientCaCertificatePath"/> (or matches a certificate in it); others fail the handshake.
    /// </summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>PEM file of the CA certificates (or exact client certificates) trusted for client certificates.</summary>
    public string? ClientCaCertificatePath { get; set; }
}

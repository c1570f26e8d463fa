namespace Runtara.Protocol.Security;

/// <summary>How a client decides to trust the server's certificate. Verification is on by default.</summary>
public sealed class ClientTlsOptions
{
    /// <summary>
    /// Name checked against the certificate and sent as SNI. Defaults to the host of the server
    /// address, or <c>localhost</c> when the address is an IP literal (the development certificate's name).
    /// </summary>
    public string? ServerName { get; set; }

    /// <summary>
    /// PEM file with one or more CA certificates to trust instead of the system store. The server's
    /// chain must end at one of them and its name must match.
    /// </summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>
    /// PEM (or DER) file with the exact server certificate(s) to accept. A pinned certificate is
    /// accepted whatever its issuer; this is how clients trust a generated development certificate.
    /// </summary>
    public string? PinnedCertificatePath { get; set; }

    /// <summary>
    /// SHA-256 fingerprint of the exact server certificate to accept (of its DER encoding, as
    /// <c>openssl x509 -fingerprint -sha256</c> prints it): 64 hex digits, any case, colons or spaces
    /// allowed. Pins like <see cref="PinnedCertificatePath"/> without needing the file, so a connection
    /// string carries it to a container or another machine. With both set, a certificate matching either is
    /// accepted, and a <see cref="PinnedCertificatePath"/> that does not exist here is ignored.
    /// </summary>
    public string? PinnedCertificateSha256 { get; set; }

    /// <summary>
    /// Accepts any certificate. Only for throw-away experiments: it removes the protection TLS gives,
    /// and every connection made with it logs a warning.
    /// </summary>
    public bool DangerousSkipCertificateVerification { get; set; }

    /// <summary>Mutual TLS: PEM or PFX client certificate presented to servers that require one.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificatePath"/> when the certificate file does not include it.</summary>
    public string? ClientKeyPath { get; set; }
}

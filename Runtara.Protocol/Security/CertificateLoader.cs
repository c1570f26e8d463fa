using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Runtara.Protocol.Security;

/// <summary>Loads certificates from PEM or PFX files.</summary>
public static class CertificateLoader
{
    /// <summary>Loads a server certificate with its private key according to <paramref name="options"/>.</summary>
    public static X509Certificate2 LoadServerCertificate(ServerTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            return LoadWithKey(options.CertificatePath, options.KeyPath, options.Password);
        }

        var directory = options.DevelopmentCertificateDirectory
            ?? throw new InvalidOperationException("No server certificate is configured and no development certificate directory is set.");
        return DevelopmentCertificate.GetOrCreate(directory);
    }

    /// <summary>Loads a certificate with its key from a PFX file or from PEM files.</summary>
    public static X509Certificate2 LoadWithKey(string certificatePath, string? keyPath = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        if (!File.Exists(certificatePath))
        {
            throw new FileNotFoundException($"Certificate file '{certificatePath}' does not exist.", certificatePath);
        }

        var extension = Path.GetExtension(certificatePath);
        if (extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password, X509KeyStorageFlags.Exportable);
        }

        var certificatePem = File.ReadAllText(certificatePath);
        var keyPem = keyPath is null ? certificatePem : File.ReadAllText(keyPath);
        try
        {
            using var pemCertificate = string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPem(certificatePem, keyPem)
                : X509Certificate2.CreateFromEncryptedPem(certificatePem, keyPem, password);
            return ToUsableCertificate(pemCertificate);
        }
        catch (CryptographicException ex)
        {
            throw new CryptographicException($"Certificate '{certificatePath}' or its key could not be loaded: {ex.Message}", ex);
        }
    }

    /// <summary>Loads every certificate in a PEM file, or the single certificate of a DER file (no keys).</summary>
    public static X509Certificate2Collection LoadCertificates(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var collection = new X509Certificate2Collection();
        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            collection.ImportFromPem(text);
        }
        else
        {
            collection.Add(X509CertificateLoader.LoadCertificate(bytes));
        }

        if (collection.Count == 0)
        {
            throw new CryptographicException($"No certificate found in '{path}'.");
        }

        return collection;
    }

    /// <summary>
    /// PEM-loaded keys are ephemeral; some platforms' TLS stacks (Windows SChannel) need a persisted
    /// key, so round-trip through PKCS#12 once.
    /// </summary>
    internal static X509Certificate2 ToUsableCertificate(X509Certificate2 certificate)
    {
        var pfx = certificate.Export(X509ContentType.Pkcs12);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.Exportable);
    }
}

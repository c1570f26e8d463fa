using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Runtara.Protocol.Security;

/// <summary>
/// SHA-256 fingerprints of certificates (of their DER encoding), the form a certificate is pinned by in
/// <see cref="ClientTlsOptions.PinnedCertificateSha256"/> and in connection strings.
/// </summary>
public static class CertificateFingerprint
{
    /// <summary>The fingerprint of <paramref name="certificate"/>: 64 upper-case hex digits, no separators.</summary>
    public static string Sha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span));
    }

    /// <summary>The fingerprint of the first certificate in the PEM (or DER) file <paramref name="path"/>.</summary>
    public static string Sha256OfFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var certificates = CertificateLoader.LoadCertificates(path);
        try
        {
            return Sha256(certificates[0]);
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    /// <summary>
    /// Parses a fingerprint written with or without colons or spaces; anything but 32 bytes of hex is an
    /// <see cref="ArgumentException"/> whose parameter is the setting, so callers can name it.
    /// </summary>
    internal static byte[] Parse(string fingerprint)
    {
        var hex = fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).Trim();
        if (hex.Length != SHA256.HashSizeInBytes * 2 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"must be a SHA-256 fingerprint, {SHA256.HashSizeInBytes * 2} hex digits (colons allowed), got '{fingerprint}'"), nameof(ClientTlsOptions.PinnedCertificateSha256));
        }

        return Convert.FromHexString(hex);
    }

    /// <summary>Whether the DER certificate <paramref name="rawCertificate"/> has the fingerprint <paramref name="expected"/>; constant time, so a mismatch reveals nothing of where it differs.</summary>
    internal static bool Matches(byte[] expected, ReadOnlySpan<byte> rawCertificate)
    {
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(rawCertificate, actual);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}

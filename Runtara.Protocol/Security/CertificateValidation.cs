using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Runtara.Protocol.Security;

/// <summary>Builds the certificate check a client applies, from <see cref="ClientTlsOptions"/>.</summary>
internal static class CertificateValidation
{
    public static RemoteCertificateValidationCallback? CreateCallback(ClientTlsOptions options)
    {
        if (options.DangerousSkipCertificateVerification)
        {
            return static (_, _, _, _) => true;
        }

        if (!string.IsNullOrWhiteSpace(options.PinnedCertificatePath))
        {
            var pinned = CertificateLoader.LoadCertificates(options.PinnedCertificatePath);
            var pins = pinned.Select(c => c.RawData).ToArray();
            return (_, certificate, _, _) =>
                certificate is not null && pins.Any(pin => pin.AsSpan().SequenceEqual(certificate.GetRawCertData()));
        }

        if (!string.IsNullOrWhiteSpace(options.CaCertificatePath))
        {
            var roots = CertificateLoader.LoadCertificates(options.CaCertificatePath);
            return (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return chain.Build(leaf);
            };
        }

        // System trust: the platform's default validation.
        return null;
    }
}

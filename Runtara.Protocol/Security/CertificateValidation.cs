using System.Net.Security;
using System.Security.Cryptography;
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

        if (!string.IsNullOrWhiteSpace(options.PinnedCertificatePath) || !string.IsNullOrWhiteSpace(options.PinnedCertificateSha256))
        {
            var fingerprint = string.IsNullOrWhiteSpace(options.PinnedCertificateSha256) ? null : CertificateFingerprint.Parse(options.PinnedCertificateSha256);
            // A connection string carries both; where the file is not (a container, another machine), the fingerprint pins alone.
            var pinned = string.IsNullOrWhiteSpace(options.PinnedCertificatePath) || (fingerprint is not null && !File.Exists(options.PinnedCertificatePath))
                ? new X509Certificate2Collection()
                : CertificateLoader.LoadCertificates(options.PinnedCertificatePath);
            if (pinned.Count > 0)
            {
                WarmChainBuilding(pinned[0]);
            }

            var pins = pinned.Select(c => c.RawData).ToArray();
            return (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                var raw = certificate.GetRawCertData();
                return pins.Any(pin => pin.AsSpan().SequenceEqual(raw))
                    || (fingerprint is not null && CertificateFingerprint.Matches(fingerprint, raw));
            };
        }

        if (!string.IsNullOrWhiteSpace(options.CaCertificatePath))
        {
            var roots = CertificateLoader.LoadCertificates(options.CaCertificatePath);
            WarmChainBuilding(roots[0]);
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

    /// <summary>What <paramref name="options"/> trusts, in words, for the message of a refused handshake (so a wrong pin says which pin).</summary>
    public static string DescribeTrust(ClientTlsOptions options)
    {
        var pins = new List<string>(2);
        if (!string.IsNullOrWhiteSpace(options.PinnedCertificatePath))
        {
            pins.Add($"the pinned certificate '{options.PinnedCertificatePath}'");
        }

        if (!string.IsNullOrWhiteSpace(options.PinnedCertificateSha256))
        {
            pins.Add($"the certificate with SHA-256 fingerprint {options.PinnedCertificateSha256}");
        }

        return pins.Count > 0 ? string.Join(" or ", pins)
            : !string.IsNullOrWhiteSpace(options.CaCertificatePath) ? $"certificates issued by the CA in '{options.CaCertificatePath}'"
            : "certificates the system trusts";
    }

    /// <summary>
    /// The server's check of a client certificate (mutual TLS): it must equal a certificate in
    /// <paramref name="trustedPath"/> or chain to one of them.
    /// </summary>
    public static RemoteCertificateValidationCallback CreateClientCertificateCallback(string trustedPath)
    {
        var roots = CertificateLoader.LoadCertificates(trustedPath);
        var exact = roots.Select(c => c.RawData).ToArray();
        return (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                return false;
            }

            var raw = certificate.GetRawCertData();
            if (exact.Any(pin => pin.AsSpan().SequenceEqual(raw)))
            {
                return true;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            using var leaf = X509CertificateLoader.LoadCertificate(raw);
            return chain.Build(leaf);
        };
    }

    private static int s_warmed;

    /// <summary>
    /// Starts loading the system certificate store on a background thread, once per process.
    /// SslStream builds an X509 chain for every server certificate before it calls the validation
    /// callback — even when the callback only compares a pinned certificate byte-for-byte — and on
    /// Linux the first chain build in a process reads and parses every certificate of the system
    /// store (/usr/lib/ssl/cert.pem and /usr/lib/ssl/certs): ~70 ms of CPU, the largest part of a new
    /// instance process's first connection. A custom-root chain policy does not avoid it (.NET's
    /// OpenSSL chain builder loads the system store whatever the trust mode). Loading it here, while
    /// the caller goes on to resolve, connect and start the handshake, overlaps that cost with the
    /// rest of start-up; the store is cached for the process, so the handshake's own chain build then
    /// finds it loaded (or waits for the load in progress, never repeating it).
    /// </summary>
    internal static void WarmChainBuilding(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_warmed, 1) != 0)
        {
            return;
        }

        var thread = new Thread(static state =>
        {
            try
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.DisableCertificateDownloads = true;
                _ = chain.Build((X509Certificate2)state!);
                foreach (var element in chain.ChainElements)
                {
                    element.Certificate.Dispose();
                }
            }
            catch (CryptographicException)
            {
                // Only a warm-up: the handshake builds (and reports) the chain itself.
            }
        })
        {
            IsBackground = true,
            Name = "Runtara TLS warm-up",
        };
        thread.Start(certificate);
    }
}

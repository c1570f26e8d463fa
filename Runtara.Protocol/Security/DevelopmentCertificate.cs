using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Runtara.Protocol.Security;

/// <summary>
/// A self-signed ECDSA P-256 certificate for <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>,
/// generated once and kept as PEM so that clients can pin it.
/// </summary>
public static class DevelopmentCertificate
{
    /// <summary>File name of the certificate (what clients pin).</summary>
    public const string CertificateFileName = "runtara-dev.crt";

    /// <summary>File name of the private key.</summary>
    public const string KeyFileName = "runtara-dev.key";

    /// <summary>Path of the certificate file inside <paramref name="directory"/>.</summary>
    public static string CertificatePath(string directory) => Path.Combine(directory, CertificateFileName);

    /// <summary>Loads the certificate from <paramref name="directory"/>, generating it first if it is missing or expiring.</summary>
    public static X509Certificate2 GetOrCreate(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var certificatePath = CertificatePath(directory);
        var keyPath = Path.Combine(directory, KeyFileName);

        // Several processes may share a data directory: serialise generation with a lock file.
        using (AcquireLock(Path.Combine(directory, ".runtara-dev.lock")))
        {
            if (File.Exists(certificatePath) && File.Exists(keyPath))
            {
                var existing = CertificateLoader.LoadWithKey(certificatePath, keyPath);
                if (existing.NotAfter > DateTime.Now.AddDays(30))
                {
                    return existing;
                }

                existing.Dispose();
            }

            using var created = Create("localhost");
            WriteAtomically(keyPath, created.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), restrictToOwner: true);
            WriteAtomically(certificatePath, created.ExportCertificatePem(), restrictToOwner: false);
            return CertificateLoader.ToUsableCertificate(created);
        }
    }

    /// <summary>Creates a new self-signed certificate valid for two years.</summary>
    public static X509Certificate2 Create(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(commonName);
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(2));
    }

    private static void WriteAtomically(string path, string contents, bool restrictToOwner)
    {
        var temporary = path + "." + System.Environment.ProcessId + ".tmp";
        File.WriteAllText(temporary, contents);
        if (restrictToOwner && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}

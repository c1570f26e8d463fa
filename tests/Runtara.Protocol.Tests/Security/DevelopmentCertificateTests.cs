using System.Net;
using System.Security.Cryptography.X509Certificates;
using Runtara.Protocol.Security;

namespace Runtara.Protocol.Tests.Security;

public sealed class DevelopmentCertificateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("runtara-cert-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_development_certificate_is_ECDSA_P256_for_localhost_and_both_loopback_addresses()
    {
        using var certificate = DevelopmentCertificate.GetOrCreate(_directory);

        Assert.True(certificate.HasPrivateKey);
        using var key = certificate.GetECDsaPublicKey();
        Assert.NotNull(key);
        Assert.Equal(256, key.KeySize);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", san.EnumerateDnsNames());
        Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());
        Assert.Contains(IPAddress.IPv6Loopback, san.EnumerateIPAddresses());
    }

    [Fact]
    public void The_certificate_is_persisted_as_PEM_and_reused()
    {
        using var first = DevelopmentCertificate.GetOrCreate(_directory);
        using var second = DevelopmentCertificate.GetOrCreate(_directory);

        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(DevelopmentCertificate.CertificatePath(_directory)), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.Combine(_directory, DevelopmentCertificate.KeyFileName));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }
    }

    [Fact]
    public void PEM_and_PFX_files_load_with_their_keys()
    {
        using var created = DevelopmentCertificate.GetOrCreate(_directory);
        var pfx = Path.Combine(_directory, "server.pfx");
        File.WriteAllBytes(pfx, created.Export(X509ContentType.Pkcs12, "pw"));

        using var fromPem = CertificateLoader.LoadWithKey(DevelopmentCertificate.CertificatePath(_directory), Path.Combine(_directory, DevelopmentCertificate.KeyFileName));
        using var fromPfx = CertificateLoader.LoadWithKey(pfx, password: "pw");

        Assert.True(fromPem.HasPrivateKey);
        Assert.True(fromPfx.HasPrivateKey);
        Assert.Equal(created.Thumbprint, fromPfx.Thumbprint);
    }
}
